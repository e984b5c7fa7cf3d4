//! The firm's side of the incident: the initial notification sent by one
//! person, and the later stages saved by the reporter and sent by the
//! approver.

use fantoccini::{Client, Locator};
use incident_portal::i18n::Tr;
use incident_portal::msg;

use super::by_label::{answer, answered, fill, follow, says, shown};
use super::{Journey, tokyo};
use crate::support::{BoxError, press, text};

/// The cells of the due-times row of `stage` (due, first sent, met).
pub(super) async fn due_row(client: &Client, stage: &str) -> Result<Vec<String>, BoxError> {
    let xpath = format!("//table[@id='dues']//tr[th[normalize-space()=\"{stage}\"]]/td");
    let mut cells = Vec::new();
    for cell in client.find_all(Locator::XPath(&xpath)).await? {
        cells.push(cell.text().await?.trim().to_owned());
    }
    Ok(cells)
}

/// The values of the fields a report's form is filled with, by field name.
pub(super) fn typed(j: &Journey, field: &str) -> String {
    let ja = j.lang() == "ja";
    let t = |en: &str, ja_text: &str| if ja { ja_text } else { en }.to_owned();
    match field {
        "aware_at" => "2026-05-01 22:10".into(),
        "classified_at" => "2026-05-01 22:40".into(),
        "occurred_on" => "2026-04-28".into(),
        "kind" => j.t.t(msg!("incident.kind.fraudulent_trading")).into(),
        "vector" => j.t.t(msg!("incident.vector.phishing")).into(),
        "accounts" => "120".into(),
        "trades" => "35".into(),
        "amount_jpy" => "48,000,000".into(),
        "actions" => t(
            "Froze the 120 accounts and forced their passwords to be reset.",
            "該当する120口座を凍結し、パスワードを強制的に再設定させました。",
        ),
        _ => String::new(),
    }
}

pub(super) fn label(j: &Journey, field: &str) -> &'static str {
    let key = match field {
        "aware_at" => msg!("incident.field.aware_at"),
        "classified_at" => msg!("incident.field.classified_at"),
        "occurred_on" => msg!("incident.field.occurred_on"),
        "kind" => msg!("incident.field.kind"),
        "vector" => msg!("incident.field.vector"),
        "accounts" => msg!("incident.field.accounts"),
        "trades" => msg!("incident.field.trades"),
        "amount_jpy" => msg!("incident.field.amount_jpy"),
        "ongoing" => msg!("incident.field.ongoing"),
        "actions" => msg!("incident.field.actions"),
        "customers_told" => msg!("incident.field.customers_told"),
        "police_told" => msg!("incident.field.police_told"),
        "containment" => msg!("incident.field.containment"),
        "cause" => msg!("incident.field.cause"),
        "root_cause" => msg!("incident.field.root_cause"),
        "losses_jpy" => msg!("incident.field.losses_jpy"),
        "compensation_jpy" => msg!("incident.field.compensation_jpy"),
        "remediation" => msg!("incident.field.remediation"),
        _ => msg!("incident.field.remediation_by"),
    };
    j.t.t(key)
}

/// The fields of the initial notification typed or picked, in page order.
pub(super) const INITIAL_TYPED: [&str; 9] = [
    "aware_at",
    "classified_at",
    "occurred_on",
    "kind",
    "vector",
    "accounts",
    "trades",
    "amount_jpy",
    "actions",
];

/// The reporter, on a phone at 23:30 on Friday: opens Incidents from the
/// navigation, reports an incident, forgets "Actions taken" and sees the
/// message beside it with the rest kept, then sends; the incident's page
/// says it was sent, on time, by one person, and when the intermediate
/// report is due.
pub(super) async fn initial(client: Client, j: Journey) -> Result<(), BoxError> {
    let t = j.t;
    follow(&client, t.t(msg!("nav.firm_incidents")), "#report-incident").await?;
    j.look(&client, "the incidents list").await?;
    follow(&client, t.t(msg!("incidents.report")), "main form").await?;
    j.look(&client, "the initial notification").await?;

    for field in INITIAL_TYPED {
        if field != "actions" {
            fill(&client, label(&j, field), &typed(&j, field)).await?;
        }
    }
    let (yes, no) = (t.t(msg!("incident.yes")), t.t(msg!("incident.no")));
    answer(&client, label(&j, "ongoing"), yes).await?;
    answer(&client, label(&j, "customers_told"), no).await?;
    answer(&client, label(&j, "police_told"), no).await?;
    let initial = t.t(msg!("incident.stage.initial"));
    let send = t.tf(msg!("incident.submit.send"), &[("stage", initial)]);
    press(&client, &send, "#actions-error").await?;

    // The message beside the field left empty, nothing typed lost.
    let beside = format!(
        "//label[normalize-space()=\"{}\"]/following-sibling::p[@class='error']",
        label(&j, "actions")
    );
    let message = client.find(Locator::XPath(&beside)).await?.text().await?;
    assert_eq!(
        message.trim(),
        format!("{} (INC-E001)", t.t(msg!("err.required"))),
        "beside the field, with its rule"
    );
    for field in INITIAL_TYPED {
        let kept = shown(&client, label(&j, field)).await?;
        let expected = if field == "actions" {
            String::new()
        } else {
            typed(&j, field)
        };
        assert_eq!(kept, expected, "{field} after the refusal");
    }
    for (field, choice) in [
        ("ongoing", yes),
        ("customers_told", no),
        ("police_told", no),
    ] {
        let kept = answered(&client, label(&j, field)).await?;
        assert_eq!(kept.as_deref(), Some(choice), "{field} after the refusal");
    }
    j.look(&client, "the refused initial notification").await?;
    j.keep(&client, "initial-form-phone").await?;
    j.keep_at(&client, ".field.invalid", "initial-form-phone-field")
        .await?;

    fill(&client, label(&j, "actions"), &typed(&j, "actions")).await?;
    press(&client, &send, "#flash").await?;
    let sent = t.tf(msg!("incident.flash.sent"), &[("stage", initial)]);
    assert_eq!(text(&client, "#flash").await?, sent);
    // Sent at 23:30 by the reporter alone; due four hours after 22:40.
    says(
        &client,
        "#version-1",
        &t.tf(msg!("incident.sent_by_one"), &[("who", "sato")]),
    )
    .await?;
    let due_initial = t.when(tokyo((2026, 5, 2), 2, 40));
    says(
        &client,
        "#version-1",
        &t.tf(msg!("incident.version_on_time"), &[("due", &due_initial)]),
    )
    .await?;
    says(&client, "#version-1", &t.when(tokyo((2026, 5, 1), 23, 30))).await?;
    let row = due_row(&client, initial).await?;
    assert_eq!(
        row.get(2).map(String::as_str),
        Some(t.t(msg!("incident.on_time")))
    );
    // The intermediate report: 72 hours after the initial was sent.
    let intermediate = t.t(msg!("incident.stage.intermediate"));
    let row = due_row(&client, intermediate).await?;
    assert_eq!(
        row.first(),
        Some(&t.when(tokyo((2026, 5, 4), 23, 30))),
        "the intermediate report's due time"
    );
    assert_eq!(
        row.get(2).map(String::as_str),
        Some(t.t(msg!("incident.awaited")))
    );
    j.look(&client, "the incident's page").await?;
    j.keep(&client, "incident-sent-phone").await
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Stage {
    Intermediate,
    Final,
}

impl Stage {
    pub(super) fn name(self, t: &Tr) -> &'static str {
        t.t(match self {
            Stage::Intermediate => msg!("incident.stage.intermediate"),
            Stage::Final => msg!("incident.stage.final"),
        })
    }

    /// The figures this stage corrects to (accounts, trades, amount), as
    /// typed and as shown.
    pub(super) fn figures(self) -> [(&'static str, &'static str, &'static str); 3] {
        match self {
            Stage::Intermediate => [
                ("accounts", "148", "148"),
                ("trades", "41", "41"),
                ("amount_jpy", "61,500,000", "61,500,000"),
            ],
            Stage::Final => [
                ("accounts", "152", "152"),
                ("trades", "44", "44"),
                ("amount_jpy", "63,250,000", "63,250,000"),
            ],
        }
    }

    /// The prose this stage adds: (field, English, Japanese).
    pub(super) fn prose(self) -> Vec<(&'static str, &'static str, &'static str)> {
        let mut lines = vec![
            (
                "containment",
                "Sign-in from the phishing site's addresses blocked; passkeys made mandatory.",
                "フィッシングサイトの接続元からのログインを遮断し、パスキーを必須にしました。",
            ),
            (
                "cause",
                "Customers gave their passwords to a site imitating ours.",
                "当社を装ったサイトに顧客がパスワードを入力しました。",
            ),
        ];
        if self == Stage::Final {
            lines.extend([
                (
                    "root_cause",
                    "Sign-in by password alone was still allowed for older accounts.",
                    "古い口座ではパスワードのみのログインが認められていました。",
                ),
                (
                    "remediation",
                    "Passkeys for every account by 30 June; takedown service contracted.",
                    "6月30日までに全口座でパスキーを必須化し、テイクダウンサービスを契約します。",
                ),
            ]);
        }
        lines
    }
}

pub(super) fn words(j: &Journey, en: &'static str, ja: &'static str) -> &'static str {
    if j.lang() == "ja" { ja } else { en }
}

/// Opens incident `id` from the navigation and the firm's list.
pub(super) async fn open_incident(client: &Client, j: &Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    follow(client, t.t(msg!("nav.firm_incidents")), "#incidents").await?;
    j.look(client, "the incidents list").await?;
    let kind = t.t(msg!("incident.kind.fraudulent_trading"));
    follow(client, &format!("#{id} {kind}"), "#incident-facts").await?;
    j.look(client, "the incident's page").await
}

/// The reporter prepares `stage`: the form opens with what was last sent,
/// the figures are corrected and the stage saved for approval; the page
/// says another approver must send it.
pub(super) async fn save_stage(
    client: Client,
    j: Journey,
    id: i64,
    stage: Stage,
) -> Result<(), BoxError> {
    let t = j.t;
    open_incident(&client, &j, id).await?;
    let name = stage.name(&t);
    let prepare = t.tf(msg!("incident.next.prepare"), &[("stage", name)]);
    follow(&client, &prepare, "main form").await?;
    j.look(&client, "the stage's form").await?;

    // Prefilled from the version before.
    let before = match stage {
        Stage::Intermediate => [("accounts", "120"), ("trades", "35")],
        Stage::Final => [("accounts", "148"), ("trades", "41")],
    };
    for (field, value) in before {
        assert_eq!(shown(&client, label(&j, field)).await?, value, "{field}");
    }
    assert_eq!(
        shown(&client, label(&j, "actions")).await?,
        typed(&j, "actions")
    );
    assert_eq!(shown(&client, label(&j, "kind")).await?, typed(&j, "kind"));

    for (field, value, _) in stage.figures() {
        fill(&client, label(&j, field), value).await?;
    }
    for (field, en, ja) in stage.prose() {
        fill(&client, label(&j, field), words(&j, en, ja)).await?;
    }
    answer(&client, label(&j, "ongoing"), t.t(msg!("incident.no"))).await?;
    if stage == Stage::Final {
        fill(&client, label(&j, "losses_jpy"), "0").await?;
        fill(&client, label(&j, "compensation_jpy"), "63,250,000").await?;
        fill(&client, label(&j, "remediation_by"), "2026-06-30").await?;
        answer(&client, label(&j, "police_told"), t.t(msg!("incident.yes"))).await?;
    }
    let save = t.tf(msg!("incident.submit.save"), &[("stage", name)]);
    press(&client, &save, "#flash").await?;
    let saved = t.tf(msg!("incident.flash.saved"), &[("stage", name)]);
    assert_eq!(text(&client, "#flash").await?, saved);
    // A reporter cannot send it; the draft waits, whole, for an approver.
    assert_eq!(
        text(&client, "#cannot-send").await?,
        t.t(msg!("incident.draft.only_approvers"))
    );
    let heading = t.tf(msg!("incident.draft.heading"), &[("stage", name)]);
    assert_eq!(text(&client, "#draft-heading").await?, heading);
    j.look(&client, "the incident with its draft").await?;
    let shot = match stage {
        Stage::Intermediate => "intermediate-saved",
        Stage::Final => "final-saved",
    };
    j.keep(&client, shot).await
}

/// The approver reads the whole draft on the incident's page and sends it:
/// a new version, sent by the approver and prepared by the reporter.
pub(super) async fn send_draft(
    client: Client,
    j: Journey,
    id: i64,
    stage: Stage,
) -> Result<(), BoxError> {
    let t = j.t;
    open_incident(&client, &j, id).await?;
    let name = stage.name(&t);
    says(
        &client,
        "#draft-heading",
        &t.tf(msg!("incident.draft.heading"), &[("stage", name)]),
    )
    .await?;
    // The whole draft: every figure and every line of prose typed.
    let draft = text(&client, "#draft").await?;
    for (_, _, value) in stage.figures() {
        assert!(draft.contains(value), "the draft shows {value}: {draft}");
    }
    for (_, en, ja) in stage.prose() {
        let line = words(&j, en, ja);
        assert!(draft.contains(line), "the draft shows {line:?}");
    }
    if client.find(Locator::Id("cannot-send")).await.is_ok() {
        return Err("the approver is told they cannot send".into());
    }
    let send = t.tf(msg!("incident.submit.send"), &[("stage", name)]);
    press(&client, &send, "#flash").await?;
    assert_eq!(
        text(&client, "#flash").await?,
        t.t(msg!("incident.flash.approved"))
    );
    if client.find(Locator::Id("draft")).await.is_ok() {
        return Err("the draft is still waiting after it was sent".into());
    }
    let (no, heading) = match stage {
        Stage::Intermediate => (2, "#version-2"),
        Stage::Final => (3, "#version-3"),
    };
    says(
        &client,
        &format!("{heading}-heading"),
        &t.tf(
            msg!("incident.version_heading"),
            &[("no", &no.to_string()), ("stage", name)],
        ),
    )
    .await?;
    says(
        &client,
        heading,
        &t.tf(
            msg!("incident.sent_four_eyes"),
            &[("who", "ito"), ("preparers", "sato")],
        ),
    )
    .await?;
    let row = due_row(&client, name).await?;
    assert_eq!(
        row.get(2).map(String::as_str),
        Some(t.t(msg!("incident.on_time")))
    );
    if stage == Stage::Final {
        says(
            &client,
            "#incident-facts",
            t.t(msg!("incident.status.final")),
        )
        .await?;
    }
    j.look(&client, "the incident after sending").await?;
    let shot = match stage {
        Stage::Intermediate => "intermediate-sent",
        Stage::Final => "incident-page",
    };
    j.keep(&client, shot).await
}
