#!/usr/bin/env bash
# Installs the system packages the tests need, from Debian's archive, when they are missing:
# Chromium (browser end-to-end tests) and Debian's PyTorch stack (training tests, Python 3 at /usr/bin;
# python3-debian reads debian/copyright for the photo set's licences; OpenCV gives the full-resolution
# evaluation its classical baselines; python3-jsonschema checks exported manifests against the pack schema).
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
/usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
/usr/bin/python3 -c 'import onnx' 2>/dev/null || missing+=(python3-onnx)
/usr/bin/python3 -c 'import numpy' 2>/dev/null || missing+=(python3-numpy)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || missing+=(python3-sklearn)
/usr/bin/python3 -c 'import pytest' 2>/dev/null || missing+=(python3-pytest)
/usr/bin/python3 -c 'import PIL' 2>/dev/null || missing+=(python3-pil)
/usr/bin/python3 -c 'import cv2' 2>/dev/null || missing+=(python3-opencv)
/usr/bin/python3 -c 'import debian.copyright' 2>/dev/null || missing+=(python3-debian)  # photos.tsv licences (data.py)
/usr/bin/python3 -c 'import jsonschema' 2>/dev/null || missing+=(python3-jsonschema)  # manifests against models/pack.schema.json (export.py)
[ ${#missing[@]} -eq 0 ] && exit 0
echo "system-deps: installing ${missing[*]} with apt-get"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
