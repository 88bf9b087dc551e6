# Sourced by the test fixtures. free_port_base N prints a port B such that
# B … B+N-1 are all free on 127.0.0.1, below the ephemeral range (32768+)
# where outgoing connections take ports; it fails after 50 tries.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port_base() {
  local candidate ok off
  for _ in $(seq 1 50); do
    candidate=$((10000 + RANDOM % 20000))
    ok=1
    for off in $(seq 0 $(($1 - 1))); do
      port_free $((candidate + off)) || { ok=0; break; }
    done
    if [ $ok -eq 1 ]; then echo "$candidate"; return 0; fi
  done
  return 1
}
