#!/bin/sh
# Install what ward needs on Debian 12, as root: `scripts/deps.sh [build|demo|test|conformance|bench]`.
# Idempotent; quiet when everything is already there.
set -eu
what=${1:-build}

build="gcc make meson ninja-build pkg-config libseccomp-dev libjansson-dev libcap-dev
       libmnl-dev libnftables-dev libnftnl-dev libarchive-dev libcmocka-dev python3"
demo="$build busybox-static iproute2 util-linux nftables"
# the OCI runtime-tools validation suite (tests/conformance/run.py): Go and the
# libraries it imports, to build it from Debian's source package offline
conformance="busybox-static iproute2 util-linux xz-utils golang-go
       golang-github-opencontainers-runtime-tools-dev golang-github-opencontainers-specs-dev
       golang-github-google-uuid-dev golang-github-mrunalp-fileutils-dev
       golang-github-opencontainers-selinux-dev golang-github-hashicorp-go-multierror-dev
       golang-github-sirupsen-logrus-dev golang-github-urfave-cli-dev
       golang-github-xeipuuv-gojsonschema-dev golang-gocapability-dev golang-golang-x-sys-dev
       golang-github-blang-semver-dev"
test="$demo python3-pytest qemu-system-x86 linux-image-cloud-amd64 cpio clang-format $conformance"
bench="$demo hyperfine crun bubblewrap time iperf3"

case "$what" in
build) pkgs=$build ;;
demo) pkgs=$demo ;;
test) pkgs=$test ;;
conformance) pkgs=$conformance ;;
bench) pkgs=$bench ;;
*) echo "usage: $0 build|demo|test|conformance|bench" >&2; exit 2 ;;
esac

missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "scripts/deps.sh: missing packages:$missing (run as root to install them)" >&2
	exit 1
fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q </dev/null >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing </dev/null >/dev/null
