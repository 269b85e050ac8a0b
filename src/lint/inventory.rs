//! KG040–KG042: the scope inventory against the addenda, and its delivery channels.
//!
//! Every workflow must be covered by at least one addendum (KG040), every workflow an
//! addendum names must exist (KG041), and no workflow may be delivered over a channel the
//! profile prohibits (KG042). A workflow id defined twice is invalid data (KG030).

use std::collections::BTreeMap;

use crate::diag::{self, Diagnostic, LineIndex};
use crate::inventory::Workflow;
use crate::profile::{Words, clauses};

use super::{Ctx, at};

/// Runs KG040–KG042.
pub fn check(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    let sources = ctx.content.sources;
    let named: BTreeMap<&str, ()> = ctx
        .content
        .guides
        .iter()
        .flat_map(|g| &g.addenda)
        .flat_map(|a| &a.matter.workflows)
        .map(|w| (w.get_ref().as_str(), ()))
        .collect();
    let workflows = &ctx.content.inventory.workflows;
    let Some(file) = &sources.inventory else {
        // An inventory that is there but unreadable has its own finding; it is not missing.
        let missing = !ctx.content.inventory_broken;
        if missing && (!named.is_empty() || !ctx.content.guides.is_empty()) {
            out.push(Diagnostic::new(
                &diag::UNCOVERED_WORKFLOW,
                &format!("{}/inventory.toml", sources.dir),
                (1, 1),
                "the site has no scope inventory",
                "create content/inventory.toml with one [[workflow]] per way keys are shared with customers",
            ));
        }
        check_named(ctx, out);
        return;
    };
    let lines = LineIndex::new(&file.text);
    let pos = |offset: usize| lines.line_col(&file.text, offset);
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    // The profile's phrases, normalised once for every workflow.
    let phrases = |words: &[String]| words.iter().map(|w| Words::new(w)).collect::<Vec<_>>();
    let notice_words = phrases(&ctx.profile.notice_words);
    let channels: Vec<_> = ctx
        .profile
        .prohibited_channels
        .iter()
        .map(|c| (c, phrases(&c.words), phrases(&c.unless)))
        .collect();
    let channel_words: Vec<Vec<String>> = (ctx.profile.prohibited_channels.iter())
        .flat_map(|c| &c.words)
        .map(|w| crate::profile::normalise(w))
        .filter(|w| !w.is_empty())
        .map(|w| w.split(' ').map(str::to_owned).collect())
        .collect();
    for wf in workflows {
        let id = wf.id.get_ref().as_str();
        blank_values(wf, &file.rel, &pos, out);
        if id.trim().is_empty() {
            // Said once, by blank_values: no addendum can name it, nor repeat it.
        } else if let Some(first) = seen.insert(id, wf.id.span().start) {
            out.push(Diagnostic::new(
                &diag::FRONT_MATTER,
                &file.rel,
                pos(wf.id.span().start),
                format!(
                    "workflow id `{id}` is already defined on line {}",
                    pos(first).0
                ),
                "give each workflow its own id",
            ));
        }
        // A page left out for its front matter may be the one that covers it.
        if !id.trim().is_empty() && !named.contains_key(id) && !ctx.content.pages_dropped {
            out.push(Diagnostic::new(
                &diag::UNCOVERED_WORKFLOW,
                &file.rel,
                pos(wf.id.span().start),
                format!("workflow `{id}` is covered by no addendum"),
                format!(
                    "write an addendum for it with `workflows = [\"{id}\"]` in its front matter"
                ),
            ));
        }
        let delivery = without_forbidden(wf.delivery.get_ref(), &channel_words);
        let clauses: Vec<Words> = clauses(&delivery).iter().map(|c| Words::new(c)).collect();
        let notice = |clause: &Words| notice_words.iter().any(|w| clause.contains(w));
        for (channel, words, unless) in &channels {
            let hit = clauses.iter().any(|clause| {
                words.iter().any(|w| clause.contains(w))
                    && !unless
                        .iter()
                        .any(|w| clause.contains_affirmed(w, UNLESS_DENIED_BY, 3))
                    && !notice(clause)
            });
            if hit {
                out.push(Diagnostic::new(
                    &diag::PROHIBITED_CHANNEL,
                    &file.rel,
                    pos(wf.delivery.span().start),
                    format!("workflow `{id}` delivers keys by {}, which the profile prohibits", channel.name),
                    "deliver keys over an authenticated, encrypted channel (customer portal with MFA, mutually authenticated API, dual-control courier)",
                ));
            }
        }
    }
    check_named(ctx, out);
}

/// Words that, among the three before a channel's `unless` word, deny it: "emailed, not
/// encrypted", "emailed without PGP", "isn't encrypted" (normalised "isn t") still send by
/// plain email.
const UNLESS_DENIED_BY: &[&str] = &["not", "never", "no", "without", "nor", "t"];

/// Words that, close before a channel in the same sentence, forbid it rather than name it
/// ("Never send key components by email"); "don't" is the words "don t".
const NEGATIONS: &[&str] = &["never", "not", "no", "dont", "cannot", "nor"];

/// Whether `word`, at `range` in `text`, is "no" as an answer ("No, the key is emailed"):
/// followed by a comma, colon, exclamation mark or ellipsis (spaces and a closing quote may
/// come first: `No , …`, `"No", …`), or by a dash standing apart (`No - …`, `No — …`), it
/// negates nothing after it. A hyphen written on ("no-one emails keys") is not an answer.
fn answer(text: &str, word: &str, range: &std::ops::Range<usize>) -> bool {
    if word != "no" {
        return false;
    }
    let rest = &text[range.end..];
    let after = rest.trim_start_matches(['"', '\'', '\u{201d}', '\u{2019}']);
    let spaced = after.trim_start();
    let apart = spaced.len() < after.len();
    spaced.starts_with([',', ':', '!', '\u{2026}', '\u{2013}', '\u{2014}'])
        || (apart && spaced.starts_with('-'))
}

/// Words (after `n`) that end a negation's reach: a new clause with its own verb, an
/// exception or a condition ("not available, so we email it", "never except by email").
const NEGATION_ENDS: &[&str] = &[
    "but",
    "except",
    "unless",
    "instead",
    "otherwise",
    "only",
    "then",
    "so",
    "if",
    "when",
    "until",
    "we",
    "they",
];

/// Verbs that, among the first three words after a comma, show that a clause of its own
/// starts there: a negation before the comma does not reach into it ("not sent by post, it
/// is emailed", "never by courier, the key is emailed", "not printed, customers get it by
/// SMS"). A list or an aside goes on without one ("never by email, chat or SMS", "Do not,
/// under any circumstances, send it by email", "must not, the policy states, be emailed").
const CLAUSE_VERBS: &[&str] = &[
    "is", "are", "was", "were", "gets", "get", "goes", "go", "receive", "receives", "will", "must",
    "has", "have",
];

/// Auxiliary verbs that, between a channel opening its sentence and a negation, say the
/// channel is not used ("Email is never used", "SMS must not be used").
const AUXILIARIES: &[&str] = &["is", "are", "must", "may", "will", "should", "shall", "can"];

/// Verbs written with "n't", which normalise() makes two words ("isn t", "don t"): before a
/// channel they forbid it ("don't email it"), right after one they say it is not used
/// ("E-mail isn't permitted").
const CONTRACTED: &[&str] = &[
    "don", "doesn", "didn", "isn", "aren", "wasn", "weren", "mustn", "shouldn", "won", "can",
];

/// What a channel opening its sentence, then an auxiliary and a negation, must be said to be
/// for the sentence to forbid it ("… is not an option" too). Any other word keeps the
/// channel a delivery: "Email is not encrypted" still sends by email.
const NOT_USED: &[&str] = &[
    "used",
    "permitted",
    "allowed",
    "accepted",
    "acceptable",
    "supported",
];

/// How many words before a channel a negation (or a channel it forbids) may stand and still
/// forbid it (enough for "Do not, under any circumstances, send keys by email").
const NEGATION_REACH: usize = 8;

/// A word of a delivery as normalise() makes it (a run of letters and digits, lowercased).
struct Word {
    text: String,
    /// Where it is in the delivery.
    range: std::ops::Range<usize>,
    /// Whether a sentence ended before it; the first word opens one too.
    opens_sentence: bool,
    /// Whether a comma came right before it.
    after_comma: bool,
}

/// `text` with every mention of a channel in `channels` (normalised phrases, as word lists)
/// that a negation close before it in the same sentence forbids blanked out: a delivery
/// that says what not to do ("portal download. Never send key components by email.") does
/// not deliver by that channel. A sentence ends at `.`, `!` or `?` before white space, at a
/// line break, or at `;`; [`NEGATION_ENDS`] cut a negation's reach within one.
fn without_forbidden(text: &str, channels: &[Vec<String>]) -> String {
    let mut words: Vec<Word> = Vec::new();
    let (mut stop, mut comma) = (true, false);
    let mut start = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
            if chars.peek().is_some_and(|(_, next)| next.is_alphanumeric()) {
                continue;
            }
            let from = start.take().unwrap_or(i);
            let to = i + c.len_utf8();
            let word = crate::profile::normalise(&text[from..to]);
            words.push(Word {
                text: word,
                range: from..to,
                opens_sentence: stop,
                after_comma: comma,
            });
            (stop, comma) = (false, false);
        } else if c == ';' || crate::profile::ends_sentence(c, chars.peek().map(|&(_, n)| n)) {
            stop = true;
        } else if c == ',' {
            comma = true;
        }
    }
    let is = |k: usize, list: &[&str]| {
        words
            .get(k)
            .is_some_and(|w| list.contains(&w.text.as_str()))
    };
    let mut blanked: Vec<std::ops::Range<usize>> = Vec::new();
    let mut negation: Option<usize> = None;
    for (k, current) in words.iter().enumerate() {
        let word = current.text.as_str();
        let new_clause = current.after_comma && (k..k + 3).any(|w| is(w, CLAUSE_VERBS));
        if current.opens_sentence || new_clause || NEGATION_ENDS.contains(&word) {
            negation = None;
        }
        let forbidden = negation.is_some_and(|n| k.saturating_sub(n) <= NEGATION_REACH);
        for phrase in channels {
            let Some(found) = words.get(k..k + phrase.len()) else {
                continue;
            };
            let same = found.iter().zip(phrase).all(|(w, p)| w.text == *p);
            let one_sentence = found.iter().skip(1).all(|w| !w.opens_sentence);
            if !same || !one_sentence {
                continue;
            }
            // "Email is never used", "SMS must not be permitted": the channel opens its
            // sentence, and the words right after it say it is not used.
            let at = k + phrase.len();
            let auxiliary = is(at, AUXILIARIES) && is(at + 1, &["not", "never"]);
            let short = is(at, CONTRACTED) && is(at + 1, &["t"]);
            let rest = if auxiliary || short {
                Some(at + 2)
            } else {
                is(at, &["cannot"]).then_some(at + 1)
            };
            // The sentence must end there: "Email is not used unless the portal is down",
            // "… except in emergencies", "… for production keys, test keys are emailed"
            // still use it.
            let ends = |w: usize| words.get(w).is_none_or(|next| next.opens_sentence);
            let not_used = current.opens_sentence
                && rest.is_some_and(|r| {
                    let r = if is(r, &["be"]) { r + 1 } else { r };
                    (is(r, NOT_USED) && ends(r + 1))
                        || (is(r, &["an"]) && is(r + 1, &["option"]) && ends(r + 2))
                });
            if forbidden || not_used {
                if let (Some(first), Some(last)) = (found.first(), found.last()) {
                    blanked.push(first.range.start..last.range.end);
                }
            }
            if forbidden {
                // A list of forbidden channels is forbidden as far as it goes: "never
                // by email, chat or SMS".
                negation = Some(k + phrase.len() - 1);
            }
        }
        let previous = k.checked_sub(1).and_then(|p| words.get(p));
        let contracted =
            word == "t" && previous.is_some_and(|p| CONTRACTED.contains(&p.text.as_str()));
        if (NEGATIONS.contains(&word) && !answer(text, word, &current.range)) || contracted {
            negation = Some(k);
        }
    }
    if blanked.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    blanked.sort_by_key(|r| r.start);
    for range in blanked {
        if range.start >= at {
            out.push_str(&text[at..range.start]);
            out.push(' ');
            at = range.end;
        } else {
            at = at.max(range.end);
        }
    }
    out.push_str(&text[at..]);
    out
}

/// KG030 for workflow values that parse but say nothing: a blank id, key material,
/// customers, delivery or updates, and a `protects` that names nothing. Each is reported at
/// its value.
fn blank_values(
    wf: &Workflow,
    rel: &str,
    pos: &dyn Fn(usize) -> (usize, usize),
    out: &mut Vec<Diagnostic>,
) {
    let id = wf.id.get_ref();
    let which = if id.trim().is_empty() {
        "a workflow".to_owned()
    } else {
        format!("workflow `{id}`")
    };
    let texts = [
        (
            "id",
            &wf.id,
            "give it the stable id addenda name in `workflows`, e.g. `id = \"wf-partner-api\"`",
        ),
        (
            "key_material",
            &wf.key_material,
            "say what key is shared, e.g. `key_material = \"AES-256 data key, wrapped under the customer's RSA-3072 key\"`",
        ),
        (
            "customers",
            &wf.customers,
            "say which customers take part, e.g. `customers = \"Partners using the server-to-server API\"`",
        ),
        (
            "delivery",
            &wf.delivery,
            "say how the key reaches the customer, e.g. `delivery = \"customer portal download, behind multi-factor authentication\"`",
        ),
        (
            "updates",
            &wf.updates,
            "say how and when the key is replaced, e.g. `updates = \"annual rotation with a 30-day overlap\"`",
        ),
    ];
    for (key, value, help) in texts {
        if value.get_ref().trim().is_empty() {
            out.push(Diagnostic::new(
                &diag::FRONT_MATTER,
                rel,
                pos(value.span().start),
                format!("invalid inventory: {which} has a blank `{key}`"),
                help,
            ));
        }
    }
    if wf.protects.get_ref().is_empty() {
        out.push(Diagnostic::new(
            &diag::FRONT_MATTER,
            rel,
            pos(wf.protects.span().start),
            format!("invalid inventory: {which} protects nothing (`protects = []`)"),
            "list what the shared key protects: `protects = [\"transmission\"]`, `[\"storage\"]` or both",
        ));
    }
}

/// How many known workflow ids a KG041 help line lists.
const KNOWN_SHOWN: usize = 10;

/// KG041: every workflow an addendum names exists (unknowable while `inventory.toml` is
/// there but unreadable: its own finding says why).
fn check_named(ctx: &Ctx<'_>, out: &mut Vec<Diagnostic>) {
    if ctx.content.inventory_broken {
        return;
    }
    let known: std::collections::BTreeSet<&str> = ctx
        .content
        .inventory
        .workflows
        .iter()
        .map(|w| w.id.get_ref().as_str())
        .filter(|id| !id.trim().is_empty())
        .collect();
    // The help names a few known ids, not all: an inventory may hold thousands.
    let listed = {
        let mut ids: Vec<&str> = known.iter().copied().take(KNOWN_SHOWN).collect();
        if known.len() > KNOWN_SHOWN {
            ids.push("…");
        }
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
    // Looked up once per addendum workflow: a set, so large sites stay linear.
    let lookup: std::collections::HashSet<&str> = known.iter().copied().collect();
    for page in ctx.content.guides.iter().flat_map(|g| &g.addenda) {
        for wf in &page.matter.workflows {
            if !lookup.contains(wf.get_ref().as_str()) {
                out.push(at(
                    &diag::UNKNOWN_WORKFLOW,
                    page,
                    page.matter_offset + wf.span().start,
                    format!("workflow `{}` is not in the inventory", wf.get_ref()),
                    format!(
                        "add a [[workflow]] with id = \"{}\" to content/inventory.toml, or correct the id (known: {})",
                        wf.get_ref(),
                        listed
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channels() -> Vec<Vec<String>> {
        ["email", "emailed", "e-mail", "sms", "text message", "chat"]
            .iter()
            .map(|w| crate::profile::normalise(w))
            .map(|w| w.split(' ').map(str::to_owned).collect())
            .collect()
    }

    fn left(text: &str) -> String {
        crate::profile::normalise(&without_forbidden(text, &channels()))
    }

    #[test]
    fn a_channel_forbidden_close_before_in_its_sentence_is_not_a_delivery() {
        assert_eq!(
            left("Never send key components by email."),
            "never send key components by"
        );
        assert_eq!(
            left("do not, under any circumstances, send it by E-mail, chat or SMS"),
            "do not under any circumstances send it by or"
        );
        assert_eq!(left("Don't text message it"), "don t it");
        assert_eq!(left("Keys aren't emailed"), "keys aren t");
        assert_eq!(left("must not be emailed"), "must not be");
    }

    #[test]
    fn a_negation_ends_at_its_sentence_and_at_a_new_clause() {
        assert_eq!(left("send it by email"), "send it by email");
        assert_eq!(left("Not by phone. Email it"), "not by phone email it");
        assert_eq!(left("not the portal; email it"), "not the portal email it");
        assert_eq!(left("never printed\nemailed"), "never printed emailed");
        assert_eq!(
            left("if the portal is not available, we email the key"),
            "if the portal is not available we email the key"
        );
        assert_eq!(left("never except by email"), "never except by email");
        // "No" as an answer negates nothing; "not" before a comma still does.
        assert_eq!(left("No, the key is emailed"), "no the key is emailed");
        assert_eq!(left("No: email it"), "no email it");
        assert_eq!(left("No email, no chat"), "no no");
        assert_eq!(left("No , it is emailed"), "no it is emailed");
        assert_eq!(left("\"No\", it is emailed"), "no it is emailed");
        assert_eq!(left("No - it is emailed"), "no it is emailed");
        assert_eq!(left("No \u{2014} it is emailed"), "no it is emailed");
        assert_eq!(left("No\u{2026} it is emailed"), "no it is emailed");
        assert_eq!(left("no-one gets keys by email"), "no one gets keys by");
        assert_eq!(
            left("not a b c d e f g h i email"),
            "not a b c d e f g h i email"
        );
        // A comma before a clause with a subject of its own ends the negation's reach.
        assert_eq!(
            left("not sent by post, it is emailed"),
            "not sent by post it is emailed"
        );
        assert_eq!(
            left("never by courier, the key is emailed"),
            "never by courier the key is emailed"
        );
        assert_eq!(
            left("Email is not used, customers get the key via chat"),
            "email is not used customers get the key via chat"
        );
        // A list or an aside after a comma goes on.
        assert_eq!(
            left("never sent by post, email, the support portal, or chat"),
            "never sent by post the support portal or"
        );
        assert_eq!(
            left("Keys must not, the policy states, be emailed"),
            "keys must not the policy states be"
        );
    }

    #[test]
    fn a_channel_opening_its_sentence_said_not_to_be_used_is_not_a_delivery() {
        assert_eq!(left("Email is never used."), "is never used");
        assert_eq!(
            left("Portal download. SMS must not be used"),
            "portal download must not be used"
        );
        assert_eq!(left("E-mail isn't permitted"), "isn t permitted");
        assert_eq!(left("Chat cannot be used"), "cannot be used");
        assert_eq!(left("Email is not an option"), "is not an option");
        // Said of a channel that is used, or not at the sentence's start: still a delivery.
        assert_eq!(left("Email is not encrypted"), "email is not encrypted");
        assert_eq!(left("Email is used"), "email is used");
        assert_eq!(
            left("Keys sent by email must not be forwarded"),
            "keys sent by email must not be forwarded"
        );
        assert_eq!(
            left("Keys go by email, which is not used for anything else"),
            "keys go by email which is not used for anything else"
        );
        // Only where the sentence ends there.
        assert_eq!(
            left("Email is not used unless the portal is down"),
            "email is not used unless the portal is down"
        );
        assert_eq!(
            left("Email is never used, SMS is"),
            "email is never used sms is"
        );
    }
}
