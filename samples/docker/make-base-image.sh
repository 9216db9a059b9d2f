#!/usr/bin/env bash
# Makes the base image of Dockerfile.ai-agent without any registry: a root filesystem holding BusyBox (from Debian's
# busybox-static) and its applets, imported with `docker import`. No network is used.
#
#   samples/docker/make-base-image.sh [tag]            # default tag: parallel-agents/base:latest
#   docker build -f samples/docker/Dockerfile.ai-agent -t parallel-agents/agent:latest samples/docker
#
# For a fuller toolchain (git, node, python) make the root filesystem with debootstrap instead, then import it the same
# way: debootstrap --variant=minbase --include=git,nodejs,python3 bookworm /tmp/rootfs && tar -C /tmp/rootfs -c . | docker import - TAG
set -euo pipefail

tag=${1:-parallel-agents/base:latest}
busybox=${BUSYBOX:-/bin/busybox}
if [ ! -x "$busybox" ]; then
  echo "no BusyBox at $busybox: install it (apt-get install -y busybox-static) or set BUSYBOX to a static busybox binary." >&2
  exit 1
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/bin "$root"/tmp "$root"/proc "$root"/sys "$root"/dev "$root"/etc "$root"/workspace
chmod 1777 "$root/tmp"
cp "$busybox" "$root/bin/busybox"
chmod 0755 "$root/bin/busybox"
for applet in $("$busybox" --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nagent:x:1000:1000:agent:/tmp:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nagent:x:1000:\n' > "$root/etc/group"

tar -C "$root" -c . | docker import --change 'ENV PATH=/bin' --change 'CMD ["/bin/sh"]' - "$tag"
echo "made $tag"
