"""Protocol emulators of the lab devices, for tests, benchmarks and dry runs."""
