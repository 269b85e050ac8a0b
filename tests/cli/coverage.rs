//! `keyguide coverage`.

use crate::rules::{AS_OF, fixture};
use crate::support::SiteTest;

#[test]
fn coverage_of_the_example_in_every_format() {
    let site = SiteTest::example();
    let json = site
        .run(&["coverage", "--format", "json", "--as-of", AS_OF])
        .code(0);
    insta::assert_snapshot!("coverage_json", json.stdout);
    let csv = site
        .run(&["coverage", "--format", "csv", "--as-of", AS_OF])
        .code(0);
    insta::assert_snapshot!("coverage_csv", csv.stdout);
    let human = site.run(&["coverage", "--as-of", AS_OF]).code(0);
    insta::assert_snapshot!("coverage_human", human.stdout);
}

#[test]
fn coverage_shows_missing_and_excepted_sections() {
    let run = fixture("kg001-addendum-neither-writes-nor-inherits")
        .run(&["coverage", "--format", "json", "--as-of", AS_OF])
        .code(1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    let addendum = &report["documents"][1];
    assert_eq!(addendum["integration"], "partner-api");
    assert_eq!(addendum["sections"]["storage"], "missing");
    assert_eq!(addendum["elements"]["3.7.3"], false);
    assert_eq!(addendum["elements"]["3.7.2"], true);
    let run = fixture("clean-exception-excuses-a-section")
        .run(&["coverage", "--format", "json", "--as-of", AS_OF])
        .code(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap_or_default();
    assert_eq!(report["documents"][1]["sections"]["storage"], "excepted");
    assert_eq!(
        report["workflows"]["wf-partner-api"][0],
        "payment-api/partner-api"
    );
}
