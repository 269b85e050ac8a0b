//! KG031 document control and KG032 review due: every base guide names an owner (itself or
//! through keyguide.toml) and the date of its last review, and is reviewed again within
//! `[review] interval_days`. A review falling due within `warn_days` is a warning; a review
//! past due is an error. The date is `--as-of` (default today), so CI can pin it. A review
//! dated after `--as-of` is an error too (it has not happened yet), and every page, base guide
//! or addendum, needs a title that is not blank.

use time::Duration;

use crate::diag::Diagnostic;
use crate::diag::{self, Severity};

use super::{Ctx, at};

/// Runs KG031 and KG032.
pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    for guide in &ctx.content.guides {
        let titles = std::iter::once((&guide.base.file, guide.base.matter.title.as_str())).chain(
            guide
                .addenda
                .iter()
                .map(|a| (&a.file, a.matter.title.as_str())),
        );
        for (file, title) in titles {
            if title.trim().is_empty() {
                let offset = file.text.find("title").unwrap_or(0);
                out.push(Diagnostic::new(
                    &diag::DOCUMENT_CONTROL,
                    &file.rel,
                    diag::LineIndex::new(&file.text).line_col(&file.text, offset),
                    "the page title is blank",
                    "write the title customers see, e.g. `title = \"Key handling: payment gateway\"`",
                ));
            }
        }
        let page = &guide.base;
        let matter = &page.matter;
        if matter.owner.as_deref().is_some_and(|o| o.trim().is_empty()) {
            out.push(at(
                &diag::DOCUMENT_CONTROL,
                page,
                0,
                "the base guide's `owner` is blank".into(),
                "name the owning team, e.g. `owner = \"Payments Security\"`, or remove the key to use keyguide.toml's default".into(),
            ));
        } else if matter.owner.is_none() && ctx.config.owner.is_none() {
            out.push(at(
                &diag::DOCUMENT_CONTROL,
                page,
                0,
                "the base guide names no owner".into(),
                "add `owner = \"Team name\"` to the front matter, or a default `owner` to keyguide.toml".into(),
            ));
        }
        let Some(reviewed) = matter.last_reviewed else {
            out.push(at(
                &diag::DOCUMENT_CONTROL,
                page,
                0,
                "the base guide has no `last_reviewed` date".into(),
                "add `last_reviewed = YYYY-MM-DD` to the front matter with the date of its last review".into(),
            ));
            continue;
        };
        let offset = page.file.text[page.matter_offset..]
            .find("last_reviewed")
            .map_or(0, |i| page.matter_offset + i);
        let due = reviewed + Duration::days(i64::from(ctx.config.review_interval_days));
        let warn_from = due - Duration::days(i64::from(ctx.config.review_warn_days));
        let help = format!(
            "review the guide, then set `last_reviewed` to the review date (reviews are due every {} days)",
            ctx.config.review_interval_days
        );
        if reviewed > ctx.as_of {
            out.push(at(
                &diag::DOCUMENT_CONTROL,
                page,
                offset,
                format!("last reviewed on {reviewed}, which is after {}", ctx.as_of),
                "set `last_reviewed` to the date the review happened; pass --as-of when checking a past or future date".into(),
            ));
        } else if ctx.as_of > due {
            out.push(
                at(
                    &diag::REVIEW_OVERDUE,
                    page,
                    offset,
                    format!("review overdue since {due} (last reviewed {reviewed})"),
                    help,
                )
                .with_severity(Severity::Error),
            );
        } else if ctx.as_of >= warn_from {
            out.push(at(
                &diag::REVIEW_OVERDUE,
                page,
                offset,
                format!("review due on {due} (last reviewed {reviewed})"),
                help,
            ));
        }
    }
}
