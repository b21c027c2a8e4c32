"""MiBee NVR: session-token login, cameras with live status, RTSP or HLS video."""
