# shellcheck shell=bash
# Progress of the long steps of run.sh and test.sh in a few lines (sourced, not run).
# Each step's full output goes to a log file; the terminal gets one line per step (with a live
# [done/total] counter on a terminal) and, when a step fails, the end of its log and its path.

# step TITLE LOG COMMAND...: runs COMMAND with its output in LOG.
step() {
  local title=$1 log=$2
  shift 2
  mkdir -p "$(dirname "$log")"
  local start=$SECONDS status=0
  if [[ -t 1 ]]; then
    "$@" >"$log" 2>&1 &
    local pid=$!
    while kill -0 "$pid" 2>/dev/null; do
      # ninja's "[12/175]" and ctest's "12/175 Test" counters, whichever the step prints.
      local counter
      counter=$(tail -c 2000 "$log" 2>/dev/null | grep -aoE '^\[[0-9]+/[0-9]+\]|^ *[0-9]+/[0-9]+ Test' |
        tail -n 1 | tr -d '[] ' | sed 's/Test//')
      printf '\r==> %s %s (%ss)  ' "$title" "${counter:+[$counter]}" $((SECONDS - start))
      sleep 1
    done
    wait "$pid" || status=$?
    printf '\r\033[K'
  else
    "$@" >"$log" 2>&1 || status=$?
  fi
  if [[ $status -ne 0 ]]; then
    echo "==> $title: FAILED after $((SECONDS - start)) s; the end of $log:"
    tail -n 60 "$log" | sed 's/^/    /'
    echo "==> full log: $log"
    return "$status"
  fi
  local notes extra=""
  notes=$(grep -acE '(warning|note): ' "$log" || true)
  if [[ ${notes:-0} -gt 0 ]]; then extra=", $notes compiler warnings or notes (see $log)"; fi
  echo "==> $title: done in $((SECONDS - start)) s$extra"
}
