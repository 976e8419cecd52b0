#!/usr/bin/env bash
# Retakes the dashboard screenshots shown in README.md (Documentation/screenshots/*.png): a server over a
# seeded fleet (24 hosts, 62,000 events over 30 days; the same seed every run), pages rendered by headless Chromium.
#   scripts/screenshots.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps test
swift build --build-tests -Xswiftc -warnings-as-errors
VIGIL_SCREENSHOTS_DIR=Documentation/screenshots \
  swift test --skip-build --filter 'DashboardBrowserTests/screenshotsOfTheMainPages' 2>&1 | grep -E 'screenshot|SKIPPED|passed|failed|error'
ls -l Documentation/screenshots/
