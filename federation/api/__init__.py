"""The REST API for applications and scripts (``/api/v1/``), built on DRF."""
