//! Which identities belong to AI agents. Sources report what they read; the agents of
//! a cloud account are decided here, from what the AWS source reported (tags, trust,
//! names), what the GCP source reported (service agents, labels, names), and from the
//! agents the config declares.

pub mod aws;
pub mod declared;
pub mod gcp;

pub use aws::AwsOptions;
