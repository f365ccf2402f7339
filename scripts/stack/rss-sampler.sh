#!/bin/bash
# `scripts/stack/rss-sampler.sh <state dir>` (e.g. .stack/cluster): sums the RSS (MB) of every process group the cluster stack started (pid files under $1/run), plus PostgreSQL's
# backends (their own sessions) by PSS; prints the max seen, every 10 s, until killed.
dir=$1; max=0
while true; do
  total=0
  for f in $dir/run/*.pid; do
    pid=$(python3 -c "import json,sys;print(json.load(open('$f'))['pid'])" 2>/dev/null) || continue
    kb=$(ps -o rss= -g $pid 2>/dev/null | awk '{s+=$1} END {print s+0}')
    total=$((total + kb))
  done
  pg=$(for p in $(pgrep -u postgres); do awk '/^Pss:/ {print $2}' /proc/$p/smaps_rollup 2>/dev/null; done | awk '{s+=$1} END {print s+0}')
  total=$((total + pg))
  mb=$((total / 1024)); [ $mb -gt $max ] && max=$mb
  echo "$(date +%T) total ${mb} MB (max ${max} MB)"
  sleep 10
done
