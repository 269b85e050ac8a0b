//! KG031 document control and KG032 review due: every base guide names an owner (itself or
//! through keyguide.toml) and the date of its last review, and is reviewed again within
//! `[review] interval_days`. A review falling due within `warn_days` is a warning; a review
//! past due is an error. The date is `--as-of` (default today), so CI can pin it. A review
//! dated after `--as-of` is an error too (it has not happened yet), and every page, base guide
//! or addendum, needs a title that is not blank.

use time::Duration;

use crate::content::Page;
use crate::diag::Diagnostic;
use crate::diag::{self, Severity};
use crate::frontmatter::Date;

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
            let offset = crate::frontmatter::value_offset(&page.file.rel, &page.file.text, "owner");
            out.push(at(
                &diag::DOCUMENT_CONTROL,
                page,
                offset.unwrap_or(0),
                "the base guide's `owner` is blank".into(),
                "name the owning team, e.g. `owner = \"Payments Security\"`, or remove the key to use keyguide.toml's default".into(),
            ));
        } else if matter.owner.is_none() {
            // keyguide.toml's default owner counts only when it names someone: a blank one
            // would publish a blank Owner cell.
            match ctx.config.owner.as_deref() {
                None => out.push(at(
                    &diag::DOCUMENT_CONTROL,
                    page,
                    0,
                    "the base guide names no owner".into(),
                    "add `owner = \"Team name\"` to the front matter, or a default `owner` to keyguide.toml".into(),
                )),
                Some(owner) if owner.trim().is_empty() => out.push(at(
                    &diag::DOCUMENT_CONTROL,
                    page,
                    0,
                    "the base guide names no owner, and keyguide.toml's default `owner` is blank".into(),
                    "name the owning team in keyguide.toml, e.g. `owner = \"Payments Security\"`, or add `owner = \"Team name\"` to the front matter".into(),
                )),
                Some(_) => {}
            }
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
        let Some((due, warn_from)) = review_window(
            reviewed,
            ctx.config.review_interval_days,
            ctx.config.review_warn_days,
        ) else {
            // Due after the last date there is: never due, so only KG031's "after --as-of"
            // check is left to make.
            if reviewed > ctx.as_of {
                out.push(future_review(page, offset, reviewed, ctx.as_of));
            }
            continue;
        };
        let help = format!(
            "review the guide, then set `last_reviewed` to the review date (reviews are due every {} days)",
            ctx.config.review_interval_days
        );
        if reviewed > ctx.as_of {
            out.push(future_review(page, offset, reviewed, ctx.as_of));
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

/// When a review made on `reviewed` falls due, and the first day KG032 warns of it:
/// `reviewed + interval_days` and `warn_days` before that.
///
/// Both values come from users (`last_reviewed` may be 9999-12-31, and the `[review]` days
/// may be up to `u32::MAX`), so the arithmetic is checked. A due date past the last date
/// `time` can represent never arrives: `None`, "not due", and no KG032 finding. A warning
/// window longer than the whole interval (or reaching before the first representable date)
/// starts on the review date itself, as it would if the window were simply as long as the
/// interval: the guide is then "due soon" from the day it was reviewed.
fn review_window(reviewed: Date, interval_days: u32, warn_days: u32) -> Option<(Date, Date)> {
    let due = reviewed.checked_add(Duration::days(i64::from(interval_days)))?;
    let warn_from = due
        .checked_sub(Duration::days(i64::from(warn_days)))
        .map_or(reviewed, |d| d.max(reviewed));
    Some((due, warn_from))
}

/// KG031 for a review dated after `--as-of`.
fn future_review<M>(page: &Page<'_, M>, offset: usize, reviewed: Date, as_of: Date) -> Diagnostic {
    at(
        &diag::DOCUMENT_CONTROL,
        page,
        offset,
        format!("last reviewed on {reviewed}, which is after {as_of}"),
        "set `last_reviewed` to the date the review happened; pass --as-of when checking a past or future date".into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, ordinal: u16) -> Date {
        Date::from_ordinal_date(y, ordinal).unwrap_or(Date::MIN)
    }

    #[test]
    fn a_due_date_past_the_last_representable_date_is_never_due() {
        assert_eq!(review_window(Date::MAX, 365, 30), None);
        assert_eq!(review_window(date(2026, 1), u32::MAX, 30), None);
    }

    #[test]
    fn a_warning_window_longer_than_the_interval_starts_at_the_review() {
        let reviewed = date(2026, 1);
        let (due, warn_from) =
            review_window(reviewed, 365, u32::MAX).unwrap_or((Date::MIN, Date::MIN));
        assert_eq!(due, date(2027, 1));
        assert_eq!(warn_from, reviewed);
        let (_, warn_from) = review_window(reviewed, 365, 30).unwrap_or((Date::MIN, Date::MIN));
        assert_eq!(warn_from, date(2026, 336));
    }
}
