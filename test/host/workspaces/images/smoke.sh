#!/bin/sh
# The project's test command: every service answers /health. A file named .fail-next-test makes
# it fail, so the tests and screenshots can record a failed version on demand.
set -e
if [ -e .fail-next-test ]; then
  echo "smoke: $(cat .fail-next-test)" >&2
  exit 1
fi
for url in "$GREENLIGHT_TEST_URL_WEB" "$GREENLIGHT_TEST_URL_WORKER"; do
  busybox wget -q -O- "$url/health" >/dev/null
  echo "smoke: $url/health ok"
done
