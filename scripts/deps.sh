#!/usr/bin/env bash
# Installs what sohoa needs and is missing, idempotently.
#   scripts/deps.sh            Debian packages to build, run and test sohoa
#   scripts/deps.sh --services also MinIO (built with go install, pinned) for the tests
set -euo pipefail

PACKAGES=(
  tesseract-ocr tesseract-ocr-vie tesseract-ocr-osd libtesseract-dev libleptonica-dev
  pkg-config gcc
  redis-server
  poppler-utils qpdf libxml2-utils openssl
  libpdfbox2-java libactivation-java libjaxb-api-java default-jre-headless
  python3-pil fonts-liberation2 curl
  chromium fonts-noto-core
  softhsm2 opensc
  libturbojpeg0-dev libjpeg62-turbo-dev
  ocrmypdf
)
MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "deps: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  # Others may be installing at the same time: wait for the dpkg lock instead of failing.
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
  $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--services" ]; then
  gobin="$(go env GOPATH)/bin"
  if [ ! -x "$gobin/minio" ] || [ "$(cat "$gobin/.minio-version" 2>/dev/null)" != "$MINIO_VERSION" ]; then
    echo "deps: building MinIO $MINIO_VERSION (several minutes the first time)"
    (cd "$(mktemp -d)" && GOFLAGS= go install "github.com/minio/minio@$MINIO_VERSION")
    echo "$MINIO_VERSION" > "$gobin/.minio-version"
  fi
fi
