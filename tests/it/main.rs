//! Integration tests: one binary.

mod sarif_validator;
