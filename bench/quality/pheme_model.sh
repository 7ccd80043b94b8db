#!/bin/sh
# The PHEME target of the quality harness, measured: trains the rumour model on pheme-dev with
# leave-one-event-out cross-validation (`sakchy model train --cv-group event`, docs/MODELS.md) in
# a temporary directory and prints the model's card.json, whose cross_validation.pooled.macro_f1
# quality.py reads. The data, the model and the card are deleted on exit: nothing is kept.
#
#   bench/quality/quality.py --model-cmd 'bench/quality/pheme_model.sh build/service/sakchy'
#
# Usage: pheme_model.sh [SAKCHY_BIN]   (default build/service/sakchy next to this script's repo)
# Data: $SAKCHY_SHARED_DATA/pheme-dev/pheme_dev.csv (quality.py sets SAKCHY_SHARED_DATA), else
# ../shared/data next to the repository. Training progress goes to stderr. About 20 s of CPU.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${1:-$root/build/service/sakchy}
data=${SAKCHY_SHARED_DATA:-$root/../shared/data}
csv=$data/pheme-dev/pheme_dev.csv
if [ ! -r "$csv" ]; then
  echo "pheme_model.sh: $csv not found (set SAKCHY_SHARED_DATA)" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/scripts/csv_to_ndjson.py" "$csv" --text text --label is_rumour \
  --map 1=rumour,0=non_rumour --keep event,tweet_id > "$tmp/pheme.ndjson"
"$bin" model train --data "$tmp/pheme.ndjson" --out "$tmp/model" --positive rumour \
  --cv-group event >&2
cat "$tmp/model/card.json"
