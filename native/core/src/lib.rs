//! Jetway's hot path: pure functions and data structures, no I/O.
