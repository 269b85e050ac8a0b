//! Distribution evidence: `keyguide audit`, `keyguide evidence`, and the guarantee that no
//! customer name or id reaches the built site.

use crate::support::SiteTest;

/// The day the example's audit is judged at: version 1.1.0 (released 2026-11-02) is still
/// within its 30 days, version 1.0.0's deadline (2026-11-04) has passed.
const AS_OF: &str = "2026-11-29";

/// "Today" for the audits below (2026-12-10, as SOURCE_DATE_EPOCH): no record may be dated
/// after it.
const TODAY: (&str, &str) = ("SOURCE_DATE_EPOCH", "1796860800");

/// Runs `keyguide audit ARGS` on `TODAY`.
fn audit(site: &SiteTest, args: &[&str]) -> crate::support::Run {
    site.run_in(".", &[&["audit"], args].concat(), &[TODAY])
}

/// `(id, name)` of every customer in the example's `evidence/customers.csv`.
fn example_customers(site: &SiteTest) -> Vec<(String, String)> {
    let text = site.read("evidence/customers.csv");
    let mut reader = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .from_reader(text.as_bytes());
    reader
        .records()
        .filter_map(Result::ok)
        .map(|r| (r[0].to_owned(), r[1].to_owned()))
        .collect()
}

/// The example with `distribution.csv` replaced by `rows` (after the header).
fn example_with_deliveries(rows: &str) -> SiteTest {
    SiteTest::example().with_evidence().write(
        "evidence/distribution.csv",
        format!("customer,version,channel,date,reference\n{rows}"),
    )
}

fn audit_json(site: &SiteTest, as_of: &str, code: i32) -> serde_json::Value {
    let run = audit(site, &["--format", "json", "--as-of", as_of]).code(code);
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn status_of<'v>(audit: &'v serde_json::Value, id: &str) -> &'v serde_json::Value {
    audit["customers"]
        .as_array()
        .and_then(|c| c.iter().find(|e| e["id"] == id))
        .unwrap_or_else(|| panic!("no customer {id} in {audit}"))
}

/// Verifies the pack's copy of the site with the instructions the pack gives.
const VERIFY_PACK_SITE: &[&str] = &[
    "verify",
    "pack/site",
    "--allowed-signers",
    "pack/site/.well-known/keyguide/allowed_signers",
    "--identity",
    "keys@acme.example",
];

#[test]
fn audit_of_the_example_in_every_format() {
    let site = SiteTest::example().with_evidence();
    let human = audit(&site, &["--as-of", AS_OF]).code(1);
    insta::assert_snapshot!("audit_human", human.stdout);
    let csv = audit(&site, &["--format", "csv", "--as-of", AS_OF]).code(1);
    insta::assert_snapshot!("audit_csv", csv.stdout);
    let json = audit_json(&site, AS_OF, 1);
    // SPEC 11's shape: the latest version, flat customer entries, `out_of_date`.
    assert_eq!(json["as_of"], AS_OF);
    assert_eq!(json["latest"], "1.1.0");
    assert_eq!(json["due"], "2026-12-02");
    assert_eq!(json["out_of_date"], 2);
    assert_eq!(json["summary"]["in_scope"], 9);
    assert_eq!(json["summary"]["never"], 2);
    let c1001 = status_of(&json, "CUS-1001");
    assert_eq!(c1001["status"], "current");
    assert_eq!(c1001["last_version"], "1.1.0");
    assert_eq!(c1001["last_date"], "2026-11-03");
    assert_eq!(c1001["channel"], "portal notice + download");
    assert_eq!(status_of(&json, "CUS-1003")["status"], "pending");
    assert_eq!(status_of(&json, "CUS-1008")["status"], "never");
    assert_eq!(json["summary"]["excepted"], 1);
    assert_eq!(status_of(&json, "CUS-1006")["exception"], "ex-001");
    assert_eq!(status_of(&json, "CUS-1008")["overdue_since"], "2026-11-05");
    assert_eq!(status_of(&json, "CUS-1010")["status"], "out-of-scope");
    let ids: Vec<&str> = json["customers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["id"].as_str())
        .collect();
    assert!(ids.is_sorted() && ids.len() == 10, "{ids:?}");
}

#[test]
fn deadlines_grace_late_receipt_and_exceptions() {
    let site = example_with_deliveries(
        "CUS-1001,1.0.0,portal,2026-10-06,P-1\n\
         CUS-1002,1.1.0,portal,2026-12-09,P-2\n\
         CUS-1003,1.0.0,portal,2026-10-06,P-3\n\
         CUS-1003,1.0.0,email,2026-10-20,P-4\n",
    );
    // Within 1.1.0's grace period, holding 1.0.0 is enough; records dated later do not
    // count yet.
    let early = audit_json(&site, "2026-11-20", 1);
    assert_eq!(status_of(&early, "CUS-1001")["status"], "pending");
    // The day after the deadline, the customer is overdue; the first delivery of a version
    // is the one reported.
    let late = audit_json(&site, "2026-12-10", 1);
    let c1001 = status_of(&late, "CUS-1001");
    assert_eq!(c1001["status"], "outdated");
    assert_eq!(c1001["overdue_since"], "2026-12-03");
    assert_eq!(status_of(&late, "CUS-1003")["reference"], "P-3");
    // Received after the deadline: current, and how late it was is recorded.
    let c1002 = status_of(&late, "CUS-1002");
    assert_eq!(c1002["status"], "current");
    assert_eq!(c1002["late_days"], 7);
    // The exception for CUS-1006 expires on 2026-12-31; after that it no longer applies.
    assert_eq!(status_of(&late, "CUS-1006")["status"], "excepted");
    let expired = audit_json(&site, "2027-01-01", 1);
    assert_eq!(status_of(&expired, "CUS-1006")["status"], "never");
    // A longer grace period moves the deadline.
    let site = site.edit(
        "keyguide.toml",
        "[signing]",
        "[evidence]\ngrace_days = 60\n\n[signing]",
    );
    let longer = audit_json(&site, "2026-12-10", 1);
    assert_eq!(longer["due"], "2027-01-01");
    assert_eq!(status_of(&longer, "CUS-1001")["status"], "pending");
}

#[test]
fn everyone_current_exits_zero() {
    let customers = "id,name,workflows\nCUS-1,Alpha Widgets,wf-mtls\nCUS-2,Beta Rail,\n";
    let site = SiteTest::example()
        .remove_file("content/exceptions.toml")
        .write("evidence/customers.csv", customers)
        .write(
            "evidence/distribution.csv",
            "customer,version,channel,date,reference\r\nCUS-1,1.1.0,portal,2026-11-03,P-9\r\n",
        );
    audit(&site, &["--as-of", AS_OF])
        .code(0)
        .stdout_has("1 in scope: 1 current, 0 pending, 0 outdated, 0 never received, 0 excepted; 1 out of scope");
}

#[test]
fn bad_records_are_reported_at_file_line_and_column_without_names() {
    let site = SiteTest::example()
        .with_evidence()
        .edit(
            "evidence/customers.csv",
            "CUS-1010,Saltmarsh Parking Ltd,",
            "CUS-1010,Saltmarsh Parking Ltd,wf-nope\nCUS-1001,Northwind Again,wf-mtls\n,Nameless,",
        )
        .write(
            "evidence/distribution.csv",
            "customer,version,channel,date,reference\n\
             CUS-9999,1.1.0,portal,2026-11-03,P-1\n\
             CUS-1001,9.9.9,portal,2026-11-03,P-2\n\
             CUS-1001,1.1.0,portal,2026-12-25,P-3\n\
             CUS-1001,1.1.0,portal,2026-10-01,P-4\n\
             CUS-1001,1.1.0,portal,2026-11-03,\n\
             CUS-1002,1.1.0,portal,2026-11-31,P-5\n\
             CUS-1002,1.1.0,portal,2026-11-04,P-6\n\
             CUS-1002,1.1.0,portal,2026-11-04,P-6\n\
             CUS-1003,1.1.0\n",
        )
        .edit("content/exceptions.toml", "CUS-1006", "CUS-4242");
    let run = audit(&site, &["--as-of", AS_OF]).code(1).stderr_has_all(&[
        "evidence/customers.csv:13:32",
        "customer `CUS-1010` names workflow `wf-nope`, which is not in content/inventory.toml",
        "evidence/customers.csv:14:1",
        "customer `CUS-1001` is listed twice (first on line 4)",
        "evidence/customers.csv:15:1",
        "a customer needs an id and a name",
        "evidence/distribution.csv:2:1",
        "customer `CUS-9999` is not in evidence/customers.csv",
        "evidence/distribution.csv:3:10",
        "version `9.9.9` is not in releases/ledger.toml",
        "name a released version: 1.0.0, 1.1.0",
        "evidence/distribution.csv:4:23",
        "2026-12-25 is in the future (today is 2026-12-10)",
        "evidence/distribution.csv:5:23",
        "2026-10-01 is before version 1.1.0 was released (2026-11-02)",
        "evidence/distribution.csv:6:34",
        "the `reference` field is empty",
        "evidence/distribution.csv:7:23",
        "`2026-11-31` is not a date",
        "evidence/distribution.csv:9:1",
        "this record repeats line 8",
        "evidence/distribution.csv:10:1",
        "this row has 2 field(s); expected 5",
        "content/exceptions.toml:6:",
        "the exception names customer `CUS-4242`, which is not in evidence/customers.csv",
        "audit refused",
    ]);
    // Findings name customers by id; names stay out of CI logs.
    for (_, name) in example_customers(&site) {
        assert!(!run.stderr.contains(&name), "{name} in:\n{}", run.stderr);
    }
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // The same findings fail lint, the pull-request gate.
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("KG100")
        .stderr_has("evidence/distribution.csv:2:1");
}

#[test]
fn a_wrong_header_or_an_unreadable_file_is_explained() {
    let site = SiteTest::example()
        .remove_file("content/exceptions.toml")
        .write("evidence/customers.csv", "customer,name\nCUS-1,Alpha\n")
        .write(
            "evidence/distribution.csv",
            "customer,version,channel,date,reference\n",
        );
    audit(&site, &["--as-of", AS_OF])
        .code(1)
        .stderr_has("evidence/customers.csv:1:1")
        .stderr_has("the header is `customer,name`; expected `id,name,workflows`");
    let site = site.write(
        "evidence/customers.csv",
        b"id,name,workflows\nCUS-1,Caf\xe9,\n",
    );
    audit(&site, &["--as-of", AS_OF])
        .code(1)
        .stderr_has("evidence/customers.csv:2:")
        .stderr_has("not valid UTF-8")
        .stderr_lacks("without evidence/customers.csv");
    let site = site.write("evidence/customers.csv", "\u{feff}id,name,workflows\n");
    audit(&site, &["--as-of", AS_OF])
        .code(0)
        .stdout_has("0 in scope");
}

#[test]
fn audit_without_evidence_or_releases_says_what_to_do() {
    SiteTest::example()
        .run(&["audit"])
        .code(2)
        .stderr_has("there is no distribution evidence")
        .stderr_has("evidence/customers.csv (header `id,name,workflows`)");
    let site = SiteTest::scaffold().write("evidence/customers.csv", "id,name,workflows\n");
    site.run(&["audit"])
        .code(2)
        .stderr_has("nothing is released yet");
    SiteTest::example()
        .with_evidence()
        .edit(
            "keyguide.toml",
            "[signing]",
            "[evidence]\ngrace_days = 400\n\n[signing]",
        )
        .run(&["audit"])
        .code(2)
        .stderr_has("keyguide.toml:")
        .stderr_has("grace_days = 400 is more than 366");
}

#[test]
fn the_built_site_never_contains_evidence_data() {
    let site = SiteTest::example().with_evidence();
    site.run_in(
        ".",
        &["build", "--drafts"],
        &[("SOURCE_DATE_EPOCH", "1796428800")],
    )
    .code(0);
    let customers = example_customers(&site);
    assert!(customers.len() >= 10);
    for (path, bytes) in site.tree("public") {
        let text = String::from_utf8_lossy(&bytes).to_lowercase();
        for (id, name) in &customers {
            for needle in [id, name, &name.replace('&', "&amp;")] {
                assert!(
                    !text.contains(&needle.to_lowercase()),
                    "public/{path} contains {needle:?}"
                );
            }
        }
    }
    // A customer named in the guidance fails lint, the pull-request gate, at the line that
    // names them, and stops the build before anything is written.
    let site = site.edit(
        "content/gateway/_index.md",
        "## Secure storage",
        "Our pilot customer petrel &amp; finch bookshops helped write this.\n\n## Secure storage",
    );
    let line = site
        .read("content/gateway/_index.md")
        .lines()
        .position(|l| l.starts_with("Our pilot customer"))
        .map_or(0, |i| i + 1);
    let at = format!("content/gateway/_index.md:{line}:20");
    let leak = "the name of customer `CUS-1009` (evidence/customers.csv line 12)";
    site.run(&["lint", "--as-of", AS_OF])
        .code(1)
        .stderr_has("KG101")
        .stderr_has(&at)
        .stderr_has(leak)
        .stderr_lacks("Petrel");
    let before = site.tree("public");
    site.run_in(
        ".",
        &["build", "--drafts"],
        &[("SOURCE_DATE_EPOCH", "1796428800")],
    )
    .code(1)
    .stderr_has(&at)
    .stderr_has(leak)
    .stderr_lacks("Petrel");
    assert_eq!(site.tree("public"), before, "the previous output must stay");
    // Text that reaches pages from elsewhere (here the site title) is caught in the output.
    let site = site
        .edit(
            "content/gateway/_index.md",
            "Our pilot customer petrel &amp; finch bookshops helped write this.",
            "",
        )
        .edit(
            "keyguide.toml",
            "title = \"",
            "title = \"Quayside Ferries and ",
        );
    site.run_in(
        ".",
        &["build", "--drafts"],
        &[("SOURCE_DATE_EPOCH", "1796428800")],
    )
    .code(1)
    .stderr_has("public/index.html:")
    .stderr_has("the name of customer `CUS-1004`");
    assert_eq!(site.tree("public"), before, "the previous output must stay");
}

#[test]
fn the_evidence_pack_is_complete_verifiable_and_reproducible() {
    let keys = SiteTest::empty();
    let key = keys.path("signing-key").display().to_string();
    let site = SiteTest::example().with_evidence();
    site.run(&["keygen", &key]).code(0);
    let pack = |as_of: &str| {
        site.run(&[
            "evidence",
            "--out",
            "pack",
            "--as-of",
            as_of,
            "--sign-key",
            &key,
        ])
    };
    let run = pack(AS_OF)
        .code(1)
        .stderr_has("wrote the evidence pack")
        .stderr_has("serve it: python3 -m http.server -d pack")
        .stderr_has("keep it private")
        .stderr_has("2 in-scope customer(s) out of date");
    assert!(!run.stderr.contains("not signed"), "{}", run.stderr);
    let index = site.read("pack/index.html");
    for part in [
        "guidance on secure transmission, storage, and updating of such keys is documented and distributed",
        "id=\"scope\"",
        "<code>wf-hsm-ceremony</code>",
        "href=\"site/1.1.0/gateway/api-key-wrapping/index.html\"",
        "id=\"coverage\"",
        "<td class=\"inherited\">inherited</td>",
        "Chief Information Security Officer",
        "ex-001",
        "Halvorsen Freight Bank",
        "overdue since 2026-11-05",
        "Petrel &amp; Finch Bookshops",
        "ssh-keygen -Y verify -f .well-known/keyguide/allowed_signers -I keys@acme.example -n keyguide-manifest",
        // The site copy's stylesheets carry SRI, which browsers refuse on file: pages.
        "python3 -m http.server",
    ] {
        assert!(index.contains(part), "index.html lacks {part:?}");
    }
    // The audit table puts what needs action first.
    let row = |status: &str, id: &str| {
        index
            .find(&format!(
                "<td class=\"{status}\">{status}</td><td><code>{id}</code>"
            ))
            .unwrap_or_else(|| panic!("no {status} row for {id}"))
    };
    assert!(row("never", "CUS-1005") < row("pending", "CUS-1003"));
    assert!(row("pending", "CUS-1003") < row("current", "CUS-1001"));
    let json: serde_json::Value =
        serde_json::from_str(&site.read("pack/evidence.json")).unwrap_or_default();
    assert_eq!(json["schema"], "urn:keyguide:evidence:1");
    assert_eq!(json["audit"]["out_of_date"], 2);
    assert_eq!(json["versions"][0]["version"], "1.1.0");
    assert_eq!(json["manifest"]["signed"], true);
    assert_eq!(json["documents"].as_array().map(Vec::len), Some(7));
    // Every page linked from the index is in the pack.
    for page in json["documents"].as_array().into_iter().flatten() {
        let page = page["page"].as_str().unwrap_or_default();
        assert!(
            site.path(&format!("pack/{page}")).is_file(),
            "{page} missing"
        );
    }
    // The site copy verifies offline with the instructions the pack gives.
    site.run(VERIFY_PACK_SITE).code(0);
    site.tool(
        "pack/site",
        "sha256sum",
        &["-c", "--quiet", "SHA256SUMS"],
        b"",
    )
    .code(0);
    // Exactly as index.html tells the assessor, with stock OpenSSH.
    crate::manifest::ssh_keygen_verify(&site, "pack/site").code(0);
    // Same inputs and date, same bytes; another date changes the audit.
    let first = site.tree("pack");
    pack(AS_OF).code(1);
    assert_eq!(site.tree("pack"), first);
    pack("2026-12-01").code(1);
    assert_ne!(site.tree("pack"), first);
}

#[test]
fn the_evidence_pack_is_never_written_over_the_site() {
    let site = SiteTest::example().with_evidence();
    for out in ["content/pack", "evidence", "."] {
        site.run(&["evidence", "--out", out, "--as-of", AS_OF])
            .code(2)
            .stderr_has("would replace the site's own files");
    }
    // Nor over a folder of other files, which the pack's swap would delete.
    let site = site.write("Documents/budget.txt", "mine");
    site.run(&["evidence", "--out", "Documents", "--as-of", AS_OF])
        .code(2)
        .stderr_has("--out Documents holds other files")
        .stderr_has("choose a new or empty folder");
    assert_eq!(site.read("Documents/budget.txt"), "mine");
    site.run(&[
        "evidence",
        "--out",
        "Documents/budget.txt",
        "--as-of",
        AS_OF,
    ])
    .code(2)
    .stderr_has("exists and is not a folder");
}

#[test]
fn spreadsheet_exports_are_read_as_they_come() {
    // A byte-order mark, CRLF line ends, a capitalised header, a trailing comma on every
    // row, quoted fields holding commas and quotes, blanks around fields, and the empty
    // rows (`,,,`) spreadsheets write after the data.
    let site = SiteTest::example()
        .remove_file("content/exceptions.toml")
        .write(
            "evidence/customers.csv",
            "\u{feff}ID,Name,Workflows,\r\n\
             CUS-1 ,\"Alpha, \"\"The Widget\"\" Co\" , wf-mtls; wf-api-wrap ,\r\n\
             CUS-2,\"=HYPERLINK(\"\"https://evil.example\"\")\",,\r\n\
             CUS-3,Gamma Air,\"wf-mtls, wf-api-wrap\"\r\n,,,\r\n\r\n",
        )
        .write(
            "evidence/distribution.csv",
            "Customer,Version,Channel,Date,Reference\r\n\
             CUS-1,1.1.0,\"portal, then call\",2026-11-03,P-9\r\n\
             CUS-3,1.1.0,portal,2026-11-04,P-10\r\n,,,,\r\n",
        );
    let json = audit_json(&site, AS_OF, 0);
    let alpha = status_of(&json, "CUS-1");
    // A name that a spreadsheet would run as a formula is written as text in the CSV.
    let csv = audit(&site, &["--format", "csv", "--as-of", AS_OF]).code(0);
    assert!(
        csv.stdout
            .contains("CUS-2,\"'=HYPERLINK(\"\"https://evil.example\"\")\""),
        "{}",
        csv.stdout
    );
    assert_eq!(alpha["name"], "Alpha, \"The Widget\" Co");
    assert_eq!(
        alpha["workflows"],
        serde_json::json!(["wf-mtls", "wf-api-wrap"])
    );
    assert_eq!(alpha["status"], "current");
    assert_eq!(alpha["channel"], "portal, then call");
    assert_eq!(status_of(&json, "CUS-2")["status"], "out-of-scope");
    assert_eq!(
        status_of(&json, "CUS-3")["workflows"],
        serde_json::json!(["wf-mtls", "wf-api-wrap"])
    );
}

#[test]
fn spreadsheet_mistakes_are_explained_at_the_right_place() {
    let site = SiteTest::example()
        .remove_file("content/exceptions.toml")
        .write(
            "evidence/customers.csv",
            "id,name,workflows\r\nCUS-1,Alpha,wf-mtls\r\nCUS-1,Alpha 2,wf-mtls\r\nCUS-1,Alpha 3,wf-mtls\r\n",
        )
        .write(
            "evidence/distribution.csv",
            "customer,version,channel,date,reference\r\n\
             CUS-1,1.1.0,portal,29/11/2026,P-1\r\n\
             CUS-1,1.1.0,portal,03/11/2026,P-2\r\n\
             CUS-1,1.1.0,portal,2026-11-03 09:30,P-3\r\n\
             CUS-1,1.1.0,portal,2026-11-03,P-4\r\n\
             CUS-1,1.1.0,portal,2026-11-03,P-4\r\n\
             CUS-1,1.1.0,portal,2026-11-03,P-4\r\n",
        );
    let run = audit(&site, &["--as-of", AS_OF]).code(1).stderr_has_all(&[
        // CRLF files are located like any other: the row's own line, the field's column.
        "evidence/customers.csv:3:1",
        "evidence/customers.csv:4:1",
        "evidence/distribution.csv:2:20",
        "write it as `2026-11-29`; format the column as YYYY-MM-DD before exporting",
        "evidence/distribution.csv:3:20",
        "`03/11/2026` could be 2026-03-11 or 2026-11-03",
        "evidence/distribution.csv:4:20",
        "keep only the day, `2026-11-03`",
        "evidence/distribution.csv:6:1",
        "evidence/distribution.csv:7:1",
    ]);
    // Every repeat points at the first row, not at the previous repeat.
    assert_eq!(
        run.stderr.matches("(first on line 2)").count(),
        2,
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("repeats line 5").count(),
        2,
        "{}",
        run.stderr
    );
    // Control characters (a line break in a quoted name, a terminal escape) are refused.
    let site = site.write(
        "evidence/customers.csv",
        "id,name,workflows\nCUS-1,\"Alpha\nWidgets\",wf-mtls\nCUS-2,Beta\u{1b}[2J,wf-mtls\n",
    );
    let run = audit(&site, &["--as-of", AS_OF]).code(1).stderr_has_all(&[
        "evidence/customers.csv:2:7",
        "the `name` field holds a control character (U+000A)",
        "evidence/customers.csv:4:7",
        "(U+001B)",
    ]);
    assert!(!run.stderr.contains('\u{1b}'), "{}", run.stderr);
    // A file saved with semicolons is named as such, and its records are not all reported
    // as unknown customers.
    let site = site.write(
        "evidence/customers.csv",
        "id;name;workflows\nCUS-1;Alpha;wf-mtls\n",
    );
    audit(&site, &["--as-of", AS_OF])
        .code(1)
        .stderr_has("evidence/customers.csv:1:1")
        .stderr_has("the fields are separated by semicolons, not commas")
        .stderr_has("\"CSV UTF-8 (comma delimited)\"")
        .stderr_lacks("is not in evidence/customers.csv");
}

#[test]
fn an_earlier_day_is_judged_by_the_ledger_of_that_day() {
    let site = example_with_deliveries(
        "CUS-1001,1.0.0,portal,2026-10-06,P-1\n\
         CUS-1001,1.1.0,portal,2026-11-03,P-2\n\
         CUS-1002,1.0.0,portal,2026-10-07,P-3\n",
    );
    // Before the first release nobody owes anything: said, not judged.
    audit(&site, &["--as-of", "2026-10-04"])
        .code(2)
        .stderr_has(
            "nothing was released by 2026-10-04: the first release, 1.0.0, is dated 2026-10-05",
        )
        .stderr_has("audit a day on or after 2026-10-05");
    // Between releases the newer one did not exist yet.
    let between = audit_json(&site, "2026-10-20", 0);
    assert_eq!(between["latest"], "1.0.0");
    assert_eq!(status_of(&between, "CUS-1001")["status"], "current");
    // A version released on the day judged is owed, not yet overdue.
    let release_day = audit_json(&site, "2026-11-02", 0);
    assert_eq!(release_day["latest"], "1.1.0");
    assert_eq!(status_of(&release_day, "CUS-1001")["status"], "pending");
    // The grace period's last day is still within it; the day after is not.
    let last_day = audit_json(&site, "2026-12-02", 1);
    assert_eq!(status_of(&last_day, "CUS-1002")["status"], "pending");
    let day_after = audit_json(&site, "2026-12-03", 1);
    assert_eq!(status_of(&day_after, "CUS-1002")["status"], "outdated");
    assert_eq!(
        status_of(&day_after, "CUS-1002")["overdue_since"],
        "2026-12-03"
    );
    // The pack for that day shows the ledger of that day; later records are not "in the
    // future" for it, since they are real.
    site.run_in(
        ".",
        &["evidence", "--out", "pack", "--as-of", "2026-10-20"],
        &[TODAY],
    )
    .code(0);
    let json: serde_json::Value =
        serde_json::from_str(&site.read("pack/evidence.json")).unwrap_or_default();
    assert_eq!(json["versions"].as_array().map(Vec::len), Some(1));
    assert_eq!(json["audit"]["latest"], "1.0.0");
    site.run_in(".", &["lint", "--as-of", "2026-10-20"], &[TODAY])
        .stderr_lacks("in the future");
}

#[test]
fn an_evidence_file_that_is_a_named_pipe_is_refused_instead_of_waited_on() {
    let site = SiteTest::example().with_evidence();
    let pipe = site.path("evidence/distribution.csv");
    std::fs::remove_file(&pipe).unwrap_or_else(|e| panic!("{e}"));
    let made = std::process::Command::new("mkfifo")
        .arg(&pipe)
        .status()
        .unwrap_or_else(|e| panic!("mkfifo: {e}"));
    assert!(made.success());
    site.run(&["audit", "--as-of", AS_OF])
        .code(1)
        .stderr_has("evidence/distribution.csv:1:1")
        .stderr_has("is not a regular file");
}

#[test]
fn the_evidence_pack_counts_the_files_the_manifest_lists() {
    let keys = SiteTest::empty();
    let key = keys.path("signing-key").display().to_string();
    let site = SiteTest::example().with_evidence();
    site.run(&["keygen", &key]).code(0);
    site.run(&[
        "evidence",
        "--out",
        "pack",
        "--as-of",
        AS_OF,
        "--sign-key",
        &key,
    ])
    .code(1)
    .stderr_has("wrote the evidence pack");
    let manifest: serde_json::Value =
        serde_json::from_str(&site.read("pack/site/manifest.json")).unwrap_or_default();
    let listed = manifest["files"].as_array().map_or(0, Vec::len);
    // The site copy also holds manifest.json and its signature.
    assert_eq!(site.tree("pack/site").len(), listed + 2);
    let json: serde_json::Value =
        serde_json::from_str(&site.read("pack/evidence.json")).unwrap_or_default();
    assert_eq!(json["manifest"]["files"], listed);
    let index = site.read("pack/index.html");
    assert!(
        index.contains(&format!("lists the {listed} files")),
        "index.html does not say the manifest lists {listed} files"
    );
    site.run(VERIFY_PACK_SITE)
        .code(0)
        .stdout_has(&format!("{listed} files match"));
}
