# Sourced by the benchmark kit's scripts (bench.sh, console-bench.sh, mem.sh): what they
# share, written once. Not run on its own.

# The knobs every load run takes (environment; BENCHMARKS.md, "Method").
DURATION=${BENCH_DURATION:-10}
ROUNDS=${BENCH_ROUNDS:-3}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
FLOWS=${BENCH_FLOWS:-1000}
SERVER_CPU=${BENCH_SERVER_CPU:-0}
CLIENT_CPU=${BENCH_CLIENT_CPU:-1}
# Must match benches/support/mod.rs (TOKEN): the load generator signs with it.
TOKEN=5e1f0a8c2b7d4e6f9a3c1b0d8e7f6a5b

executable() { # the path cargo reports (JSON messages on stdin) for a built artifact named $1
  grep -o "\"executable\":\"[^\"]*/$1[^\"]*\"" | tail -1 | cut -d'"' -f4
}

wait_ready() { # port: until a TCP connect succeeds (bounded: 30 s)
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "error: nothing listens on port $1" >&2
  exit 1
}
