#!/bin/sh
# `npm test`'s first step (pretest): the Debian packages the suite drives for real — Chromium for
# the console's browser tests, Alertmanager for the intake test. Installs what is missing when it
# can (as root, with apt-get); otherwise stops at once with one line naming the package and the command.
set -eu
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
[ -x /usr/bin/prometheus-alertmanager ] || missing="$missing prometheus-alertmanager"
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "npm test needs the Debian package(s)$missing: run  sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi

echo "Installing Debian package(s)$missing for the tests…" >&2
# Alertmanager's own service is kept from starting (policy-rc.d answers 101): the test runs its own
# instance on a free port.
own_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
fi
status=0
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >&2 || status=$?
[ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
if [ "$status" != 0 ]; then
  echo "npm test could not install the Debian package(s)$missing (apt-get exited $status): install them with  apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
