; Vigil's Windows installer (Inno Setup 6), built by .github/workflows/windows-installer.yml:
;
;   uv run python installer/build.py --no-package        -> dist\vigil\ (PyInstaller)
;   iscc /DAppVersion=0.1.0 installer\windows\vigil.iss  -> dist\vigil-0.1.0-setup.exe
;
; Signed (installer/README.md, "Signing"): define Sign and give iscc the sign tool that
; Sign names, e.g.
;   iscc /DAppVersion=0.1.0 /DSign "/Ssigntool=$qC:\...\signtool.exe$q sign /fd sha256
;        /tr <timestamp server> /td sha256 /f $qvigil.pfx$q /p $q<password>$q $f" vigil.iss
; Then vigil.exe and vigil-console.exe, setup.exe and the uninstaller are all signed. The
; certificate and its password come from the CI's secret store, never from this file.
;
; Per-machine: one copy in Program Files for every operator of a control-room PC, which
; needs an administrator, as IT deploys it. Settings are per user and not in the
; installation: %LOCALAPPDATA%\vigil\vigil\settings.json, logs in ...\Logs, the demo
; footage in ...\Cache, passwords in Windows Credential Manager. So an upgrade (the same
; AppId, installed over the old folder) and an uninstall leave every operator's settings
; as they were.

#ifndef AppVersion
  #error Pass the version: iscc /DAppVersion=<version from pyproject.toml> vigil.iss
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\vigil"
#endif
#ifndef OutputDir
  #define OutputDir "..\..\dist"
#endif

[Setup]
; The AppId identifies Vigil to Windows across versions: an installer with the same id
; upgrades in place. Never change it (it is a GUID made once for Vigil).
AppId={{42F88402-C3C3-4C59-9EBE-3A71A8D169A2}
AppName=Vigil
AppVersion={#AppVersion}
AppVerName=Vigil {#AppVersion}
AppPublisher=Vigil
VersionInfoVersion={#AppVersion}
VersionInfoProductName=Vigil
DefaultDirName={autopf}\Vigil
DefaultGroupName=Vigil
DisableProgramGroupPage=yes
PrivilegesRequired=admin
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile=..\..\build\icons\vigil.ico
UninstallDisplayIcon={app}\vigil.exe
UninstallDisplayName=Vigil
OutputDir={#OutputDir}
OutputBaseFilename=vigil-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; An upgrade closes a running Vigil first (and offers to restart it afterwards).
CloseApplications=yes
RestartApplications=yes
#ifdef Sign
SignTool=signtool
SignedUninstaller=yes
#endif

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; An upgrade replaces the bundle as a whole: a library the new version no longer ships
; must not linger beside the new ones and be loaded by mistake.
Type: filesandordirs; Name: "{app}\_internal"

[Files]
#ifdef Sign
Source: "{#BundleDir}\vigil.exe"; DestDir: "{app}"; Flags: ignoreversion sign
Source: "{#BundleDir}\vigil-console.exe"; DestDir: "{app}"; Flags: ignoreversion sign
Source: "{#BundleDir}\*"; Excludes: "\vigil.exe,\vigil-console.exe"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#else
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs
#endif

[Icons]
Name: "{group}\Vigil"; Filename: "{app}\vigil.exe"; Comment: "Video surveillance console"
Name: "{group}\Vigil demo"; Filename: "{app}\vigil.exe"; Parameters: "--demo"; Comment: "Vigil with its built-in demo site"
Name: "{group}\Uninstall Vigil"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Vigil"; Filename: "{app}\vigil.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\vigil.exe"; Description: "{cm:LaunchProgram,Vigil}"; Flags: nowait postinstall skipifsilent
