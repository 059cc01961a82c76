#!/usr/bin/env bash
# Installs the Debian packages the native game and its rendered tests need, if missing:
# Xvfb (a virtual display) and Mesa's software Vulkan driver (lavapipe). Idempotent and quick
# on a second run.
set -euo pipefail
needed=()
{ command -v Xvfb && command -v xvfb-run; } >/dev/null 2>&1 || needed+=(xvfb)
ls /usr/share/vulkan/icd.d/lvp_icd*.json >/dev/null 2>&1 || needed+=(mesa-vulkan-drivers)
if [ ${#needed[@]} -eq 0 ]; then
  echo "native packages: already installed"
  exit 0
fi
echo "native packages: installing ${needed[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${needed[@]}" xauth >/dev/null
