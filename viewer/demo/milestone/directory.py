"""What the simulated XProtect site holds: the demo's cameras in nested camera groups.

Ids are GUIDs, as XProtect's are, derived from the demo camera ids so that they stay the
same across restarts and the simulator can find a camera's footage from its id. The tree
has what real sites have and clients get wrong: groups three deep, a camera in two groups,
a disabled camera, and cameras whose streams include a sub-stream.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from viewer.demo.footage import ALL_CAMERAS

_NAMESPACE = uuid.UUID("7f3c1c52-3b8e-4f0e-9a8e-5d1a0c6b9e21")


def guid(name: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, name))


@dataclass(frozen=True)
class SimCamera:
    id: str
    demo_id: str
    name: str
    enabled: bool = True
    ptz: bool = False
    codec: str = "H264"
    """What its WebRTC offer carries; "H265" for a camera a viewer must refuse."""
    privacy_masked: bool = False
    """Its sessions are refused, as a camera under privacy masking is for this user."""

    def config(self) -> dict[str, Any]:
        """The fields a 2025 R1 server sends for a camera, in its order."""
        hardware = guid(f"hardware/{self.demo_id}")
        return {
            "displayName": self.name,
            "enabled": self.enabled,
            "id": self.id,
            "name": self.name,
            "channel": 0,
            "description": "",
            "createdDate": "0001-01-01T00:00:00.0000000",
            "lastModified": "2025-10-27T15:03:52.8070000Z",
            "gisPoint": "POINT EMPTY",
            "shortName": "",
            "icon": 0,
            "recordingFramerate": 5,
            "recordKeyframesOnly": False,
            "ptzEnabled": self.ptz,
            "recordingEnabled": True,
            "prebufferEnabled": True,
            "prebufferSeconds": 3,
            "edgeStorageEnabled": False,
            "failoverSetting": "FullSupport",
            "relations": {
                "parent": {"type": "hardware", "id": hardware},
                "self": {"type": "cameras", "id": self.id},
            },
        }

    def streams(self) -> dict[str, Any]:
        """``/cameras/{id}/streams``: the main stream is the live default, then the sub."""
        return {
            "displayName": "Streams",
            "stream": [
                {
                    "displayName": "Video stream 1",
                    "name": "Video stream 1",
                    "streamReferenceId": guid(f"stream/{self.demo_id}/main"),
                    "liveDefault": True,
                    "liveMode": "WhenNeeded",
                    "recordTo": "16ce3aa1-5f93-458a-abe5-5c95d9ed1372",
                },
                {
                    "displayName": "Video stream 2",
                    "name": "Video stream 2",
                    "streamReferenceId": guid(f"stream/{self.demo_id}/sub"),
                    "liveDefault": False,
                    "liveMode": "WhenNeeded",
                    "recordTo": "",
                },
            ],
            "relations": {"self": {"type": "streams", "id": self.id}},
        }


@dataclass(frozen=True)
class SimGroup:
    id: str
    name: str
    camera_ids: tuple[str, ...] = ()
    groups: tuple[SimGroup, ...] = ()

    def config(self) -> dict[str, Any]:
        return {
            "displayName": self.name,
            "id": self.id,
            "name": self.name,
            "description": "",
            "lastModified": "2025-10-27T15:10:00.0000000Z",
            "relations": {"self": {"type": "cameraGroups", "id": self.id}},
        }

    def walk(self) -> list[SimGroup]:
        found = [self]
        for group in self.groups:
            found += group.walk()
        return found


DISABLED_DEMO_ID = "cam99"
H265_DEMO_ID = "cam98"
MASKED_DEMO_ID = "cam97"
_PTZ = {"cam12", "cam17"}


def _cameras() -> dict[str, SimCamera]:
    cameras = [
        SimCamera(guid(f"camera/{c.id}"), c.id, c.name, ptz=c.id in _PTZ) for c in ALL_CAMERAS
    ]
    cameras.append(
        SimCamera(guid(f"camera/{DISABLED_DEMO_ID}"), DISABLED_DEMO_ID, "Old gatehouse", False)
    )
    h265, masked = guid(f"camera/{H265_DEMO_ID}"), guid(f"camera/{MASKED_DEMO_ID}")
    cameras.append(SimCamera(h265, H265_DEMO_ID, "Server room", codec="H265"))
    cameras.append(SimCamera(masked, MASKED_DEMO_ID, "Staff room", privacy_masked=True))
    return {camera.demo_id: camera for camera in cameras}


CAMERAS = _cameras()


def _group(name: str, demo_ids: str, groups: tuple[SimGroup, ...] = ()) -> SimGroup:
    ids = tuple(CAMERAS[f"cam{n}"].id for n in demo_ids.split())
    return SimGroup(guid(f"group/{name}"), name, ids, groups)


# Main entrance sits in two groups; Perimeter is three deep and holds the disabled camera.
GROUPS: tuple[SimGroup, ...] = (
    _group("Entrances", "01 07 12", (_group("Visitors", "04 15"),)),
    _group(
        "Outdoor",
        "01 06 10 16",
        (_group("Car parks", "02 05", (_group("Perimeter", "08 09 99"),)),),
    ),
    _group("Building", "03 11 13 14 98 97"),
    _group("Real sites' habits", "17 18 19 20"),
)


BULK_GROUP_SIZE = 50
"""Cameras per group of a large site: 10,000 cameras come in 200 groups."""


def bulk(count: int) -> tuple[SimGroup, list[SimCamera]]:
    """A "Large site" group of ``count`` more cameras, in sub-groups of BULK_GROUP_SIZE,
    showing the demo's footage in turn."""
    demo_ids = [
        camera.demo_id
        for camera in CAMERAS.values()
        if camera.enabled and camera.codec == "H264" and not camera.privacy_masked
    ]
    cameras = [
        SimCamera(guid(f"camera/bulk/{n}"), demo_ids[n % len(demo_ids)], f"Camera {n + 1:05d}")
        for n in range(count)
    ]
    areas = tuple(
        SimGroup(
            guid(f"group/bulk/{n}"),
            f"Area {n // BULK_GROUP_SIZE + 1:03d}",
            tuple(c.id for c in cameras[n : n + BULK_GROUP_SIZE]),
        )
        for n in range(0, count, BULK_GROUP_SIZE)
    )
    return SimGroup(guid("group/bulk"), "Large site", groups=areas), cameras
