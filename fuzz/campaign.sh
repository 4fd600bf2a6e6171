#!/bin/sh
# Builds every fuzzer and runs each for SECONDS from a scratch copy of its seed corpus, one at a
# time under nice; a run that stops on a finding is restarted on the same corpus until the time is
# spent. Writes summary.tsv and summary.md (executions, coverage, findings per target).
# Usage: fuzz/campaign.sh SECONDS [out_dir] [target...]   (default: every target, build-fuzz/)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
seconds=${1:?usage: fuzz/campaign.sh SECONDS [out_dir] [target...]}
out=${2:-$root/build-fuzz}
[ $# -ge 2 ] && shift 2 || shift $#
targets=${*:-"fuzz_pickle fuzz_torch_zip fuzz_safetensors fuzz_onnx fuzz_openvino_ir fuzz_npy
  fuzz_config_json fuzz_export_request"}
sh "$here/build.sh" "$out"

runs="$out/campaign"
rm -rf "$runs"
mkdir -p "$runs"
printf 'target\tseconds\texecutions\tcov\tft\tcorpus\tfindings\n' >"$runs/summary.tsv"

dict_of() {
  case $1 in
    fuzz_pickle | fuzz_torch_zip) echo "$here/pickle.dict" ;;
    fuzz_safetensors | fuzz_config_json | fuzz_export_request) echo "$here/json.dict" ;;
    fuzz_openvino_ir) echo "$here/openvino_ir.dict" ;;
    *) echo "" ;;
  esac
}

for t in $targets; do
  work="$runs/$t"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp "$here/corpus/$t/"* "$work/corpus/"
  dict=$(dict_of "$t")
  start=$(date +%s)
  left=$seconds
  round=0
  while [ "$left" -gt 0 ] && [ "$round" -lt 50 ]; do
    round=$((round + 1))
    # A finding ends the run with a non-zero status; the loop carries on with the same corpus.
    # shellcheck disable=SC2086
    nice -n 19 "$out/$t" -max_total_time="$left" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${dict:+-dict=$dict} \
      "$work/corpus" >"$work/log.$round" 2>&1 || true
    left=$((seconds - ($(date +%s) - start)))
  done
  spent=$(($(date +%s) - start))
  execs=$(cat "$work"/log.* | awk -F: '/stat::number_of_executed_units/ {n += $NF} END {print n + 0}')
  last=$(cat "$work/log.$round" | grep -E '^#[0-9]+.*cov: ' | tail -n 1)
  cov=$(echo "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  ft=$(echo "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
  corpus=$(find "$work/corpus" -type f | wc -l)
  findings=$(find "$work/artifacts" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$t" "$spent" "$execs" "${cov:-?}" "${ft:-?}" "$corpus" \
    "$findings" >>"$runs/summary.tsv"
  echo "$t: ${spent}s, $execs executions, cov ${cov:-?}, ft ${ft:-?}, $findings findings"
done

{
  echo "| target | seconds | executions | cov | ft | corpus | findings |"
  echo "|---|---|---|---|---|---|---|"
  tail -n +2 "$runs/summary.tsv" | awk -F'\t' '{printf "| `%s` | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7}'
} >"$runs/summary.md"
echo
cat "$runs/summary.md"
echo "findings (reproducers): $runs/<target>/artifacts/"
