//! The control catalogues findings map to (ids and titles from `CONTROLS.md`).

/// A catalogue of controls.
pub struct Catalogue {
    /// The key used in rule files and reports, e.g. `owasp_agentic`.
    pub key: &'static str,
    pub title: &'static str,
    /// Every rule must map to at least one control of each required catalogue.
    pub required: bool,
    pub controls: &'static [(&'static str, &'static str)],
}

pub const CATALOGUES: &[Catalogue] = &[
    Catalogue {
        key: "owasp_agentic",
        title: "OWASP Top 10 for Agentic Applications (2026)",
        required: true,
        controls: &[
            ("ASI01", "Agent Goal Hijack"),
            ("ASI02", "Tool Misuse and Exploitation"),
            ("ASI03", "Identity and Privilege Abuse"),
            ("ASI04", "Agentic Supply Chain Vulnerabilities"),
            ("ASI05", "Unexpected Code Execution (RCE)"),
            ("ASI06", "Memory and Context Poisoning"),
            ("ASI07", "Insecure Inter-Agent Communication"),
            ("ASI08", "Cascading Failures"),
            ("ASI09", "Human-Agent Trust Exploitation"),
            ("ASI10", "Rogue Agents"),
        ],
    },
    Catalogue {
        key: "maestro",
        title: "CSA MAESTRO",
        required: true,
        controls: &[
            ("L1", "Foundation Models"),
            ("L2", "Data Operations"),
            ("L3", "Agent Frameworks"),
            ("L4", "Deployment and Infrastructure"),
            ("L5", "Evaluation and Observability"),
            ("L6", "Security and Compliance"),
            ("L7", "Agent Ecosystem"),
            ("cross-layer", "Cross-layer threat"),
        ],
    },
    Catalogue {
        key: "nist_ai_rmf",
        title: "NIST AI RMF 1.0",
        required: true,
        controls: &[
            (
                "GOVERN 1.4",
                "Risk management through transparent policies, procedures and controls",
            ),
            (
                "GOVERN 1.5",
                "Ongoing monitoring and periodic review of the risk process",
            ),
            ("GOVERN 1.6", "AI systems are inventoried"),
            ("GOVERN 1.7", "AI systems are decommissioned safely"),
            (
                "GOVERN 2.1",
                "Roles, responsibilities and lines of communication are documented",
            ),
            (
                "GOVERN 3.2",
                "Roles for human-AI configurations and oversight are defined",
            ),
            ("GOVERN 6.1", "Policies address third-party risk"),
            ("MAP 3.5", "Human oversight processes are defined"),
            (
                "MAP 4.1",
                "Risks of components, including third-party ones, are mapped",
            ),
            (
                "MAP 4.2",
                "Internal risk controls for components are identified and documented",
            ),
            (
                "MEASURE 2.7",
                "Security and resilience are evaluated and documented",
            ),
            (
                "MEASURE 2.8",
                "Transparency and accountability risks are examined",
            ),
            (
                "MANAGE 2.4",
                "Mechanisms exist to supersede, disengage or deactivate AI systems",
            ),
            (
                "MANAGE 3.1",
                "Third-party risks are monitored and controls applied",
            ),
            (
                "MANAGE 4.1",
                "Post-deployment monitoring, including override and decommissioning",
            ),
        ],
    },
    Catalogue {
        key: "owasp_nhi",
        title: "OWASP Non-Human Identities Top 10 (2025)",
        required: false,
        controls: &[
            ("NHI1", "Improper Offboarding"),
            ("NHI2", "Secret Leakage"),
            ("NHI3", "Vulnerable Third-Party NHI"),
            ("NHI4", "Insecure Authentication"),
            ("NHI5", "Overprivileged NHI"),
            ("NHI6", "Insecure Cloud Deployment Configurations"),
            ("NHI7", "Long-Lived Secrets"),
            ("NHI8", "Environment Isolation"),
            ("NHI9", "NHI Reuse"),
            ("NHI10", "Human Use of NHI"),
        ],
    },
    Catalogue {
        key: "nist_csf",
        title: "NIST CSF 2.0",
        required: false,
        controls: &[
            ("PR.AA-01", "Identities and credentials are managed"),
            (
                "PR.AA-02",
                "Identities are proofed and bound to credentials",
            ),
            ("PR.AA-03", "Users, services and hardware are authenticated"),
            (
                "PR.AA-04",
                "Identity assertions are protected, conveyed and verified",
            ),
            (
                "PR.AA-05",
                "Access permissions are managed with least privilege",
            ),
            ("ID.AM-02", "Inventories of software, services and systems"),
            ("ID.AM-08", "Assets are managed through their life cycles"),
            (
                "PR.PS-04",
                "Log records are generated for continuous monitoring",
            ),
            (
                "DE.CM-03",
                "Personnel activity and technology usage are monitored",
            ),
            ("GV.RR-02", "Roles and authorities are established"),
        ],
    },
    Catalogue {
        key: "cis_aws",
        title: "CIS AWS Foundations Benchmark v5.0.0",
        required: false,
        controls: &[
            ("1.3", "No root user account access key exists"),
            (
                "1.10",
                "No access keys created at initial setup for console users",
            ),
            (
                "1.11",
                "Credentials unused for 45 days or more are disabled",
            ),
            ("1.12", "Only one active access key per user"),
            ("1.13", "Access keys are rotated every 90 days or less"),
            ("1.14", "Users receive permissions only through groups"),
            (
                "1.15",
                "No policies with full administrative privileges are attached",
            ),
            ("1.17", "Instance roles are used for access from instances"),
        ],
    },
    Catalogue {
        key: "cis_gcp",
        title: "CIS Google Cloud Platform Foundation Benchmark v3.0.0",
        required: false,
        controls: &[
            (
                "1.4",
                "Only GCP-managed service account keys exist for each service account",
            ),
            ("1.5", "Service accounts have no admin privileges"),
            (
                "1.6",
                "No Service Account User or Token Creator roles at project level",
            ),
            (
                "1.7",
                "User-managed service account keys are rotated every 90 days or less",
            ),
            (
                "1.8",
                "Separation of duties is enforced for service-account roles",
            ),
            (
                "4.1",
                "Instances are not configured to use the default service account",
            ),
            (
                "5.1",
                "Cloud Storage buckets are not anonymously or publicly accessible",
            ),
        ],
    },
    Catalogue {
        key: "cis_azure",
        title: "CIS Microsoft Azure Foundations Benchmark v2.0.0",
        required: false,
        controls: &[("1.23", "No custom subscription administrator roles exist")],
    },
];

pub fn catalogue(key: &str) -> Option<&'static Catalogue> {
    CATALOGUES.iter().find(|c| c.key == key)
}

impl Catalogue {
    pub fn title_of(&self, id: &str) -> Option<&'static str> {
        self.controls
            .iter()
            .find(|(i, _)| *i == id)
            .map(|(_, t)| *t)
    }
}
