"""bpteach's benchmarks: `make bench` or `python -m benchmarks`. Not part of `make test`."""
