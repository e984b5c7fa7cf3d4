//! After the final report: the regulator's analyst triages the incident
//! and writes in its thread, the firm's approver answers, the analyst
//! accepts it and links it to a campaign, and the month's return is
//! reconciled with it.

use fantoccini::{Client, Locator};
use incident_portal::msg;

use super::by_label::{answer, fill, follow, says};
use super::firm::{Stage, open_incident, words};
use super::{FIRM, Journey};
use crate::support::{BoxError, press, text, wait_for};

/// What the analyst asks the firm, in the thread.
pub(super) fn request(j: &Journey) -> &'static str {
    words(
        j,
        "Please send the list of the phishing site's addresses you blocked, and when.",
        "遮断したフィッシングサイトの接続元アドレスの一覧と、遮断した日時を送ってください。",
    )
}

/// What the analyst notes for the regulator's staff only.
pub(super) fn note(j: &Journey) -> &'static str {
    words(
        j,
        "Same kit as the campaign against two other brokers last week.",
        "先週ほかの証券会社2社を狙った攻撃と同じ手口です。",
    )
}

/// The firm's answer in the thread.
pub(super) fn reply(j: &Journey) -> &'static str {
    words(
        j,
        "The list is attached to our final report's remediation; blocked on 2 May at 09:00.",
        "一覧は最終報告の再発防止策に記載しました。5月2日9時に遮断しています。",
    )
}

/// Opens the register from the navigation and the incident from it: the
/// firm chosen in the filter, then its row's link.
pub(super) async fn open_in_register(
    client: &Client,
    j: &Journey,
    id: i64,
) -> Result<(), BoxError> {
    let t = j.t;
    follow(
        client,
        t.t(msg!("nav.incident_register")),
        "#incident-register",
    )
    .await?;
    fill(client, t.t(msg!("col.firm")), FIRM).await?;
    press(
        client,
        t.t(msg!("incident_review.filter.apply")),
        "#incident-register",
    )
    .await?;
    j.look(client, "the incident register").await?;
    j.keep_at(client, "#incident-register", "register").await?;
    let row =
        format!("//table[@id='incident-register']//tr[td[normalize-space()=\"{FIRM}\"]]/th/a");
    let link = client.find(Locator::XPath(&row)).await?;
    assert_eq!(
        link.text().await?.trim(),
        format!("#{id}"),
        "the firm's row"
    );
    link.click().await?;
    wait_for(client, ".incident-triage").await?;
    j.look(client, "the incident for the regulator").await
}

/// Moves the triage to `to` (its label on the page), with `request` when
/// asking for more information, and checks it moved.
pub(super) async fn triage(
    client: &Client,
    j: &Journey,
    to: &'static str,
    request: Option<&str>,
) -> Result<(), BoxError> {
    let t = j.t;
    answer(client, t.t(msg!("incident_review.triage_to")), to).await?;
    if let Some(request) = request {
        fill(client, t.t(msg!("incident_review.request")), request).await?;
    }
    press(
        client,
        t.t(msg!("incident_review.triage_submit")),
        ".incident-triage",
    )
    .await?;
    says(client, "main", t.t(msg!("incident_review.done.triaged"))).await?;
    assert_eq!(text(client, ".incident-triage").await?, to, "the triage");
    j.look(client, "the incident after its triage moved").await
}

/// The analyst finds the incident in the register, moves it to
/// assessment, asks the firm for more information (in the thread, where
/// the firm reads it) and notes something for the staff alone.
pub(super) async fn analyst_assesses(client: Client, j: Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    open_in_register(&client, &j, id).await?;
    assert_eq!(
        text(&client, ".incident-triage").await?,
        t.t(msg!("incident.triage.received"))
    );
    // The final report in full, as the firm sent it.
    let report = text(&client, "#incident-report").await?;
    for (_, en, ja) in Stage::Final.prose() {
        let line = words(&j, en, ja);
        assert!(report.contains(line), "the latest report shows {line:?}");
    }

    let assessing = t.t(msg!("incident.triage.assessing"));
    triage(&client, &j, assessing, None).await?;
    let more = t.t(msg!("incident.triage.more_information"));
    triage(&client, &j, more, Some(request(&j))).await?;
    says(&client, "#thread", request(&j)).await?;

    fill(&client, t.t(msg!("incident_thread.body_staff")), note(&j)).await?;
    answer(
        &client,
        t.t(msg!("incident_thread.visibility")),
        t.t(msg!("incident_thread.internal_note")),
    )
    .await?;
    press(&client, t.t(msg!("incident_thread.send")), "#thread").await?;
    let internal = format!(
        "//li[contains(@class, 'internal')][.//*[contains(normalize-space(), \"{}\")]]",
        note(&j)
    );
    let marked = client.find(Locator::XPath(&internal)).await?.text().await?;
    assert!(
        marked.contains(t.t(msg!("incident_thread.internal_tag"))),
        "the note is marked internal: {marked}"
    );
    j.look(&client, "the incident with its thread").await?;
    j.keep_at(&client, "#thread", "review-thread").await?;
    j.keep_at(&client, "main h1", "review-incident").await
}

/// The firm's approver reads the request on the incident's page (never
/// the internal note) and answers it in the thread.
pub(super) async fn approver_answers(client: Client, j: Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    open_incident(&client, &j, id).await?;
    says(
        &client,
        "#incident-facts",
        t.t(msg!("incident.triage.more_information")),
    )
    .await?;
    says(&client, "#thread", request(&j)).await?;
    let source = client.source().await?;
    assert!(
        !source.contains(note(&j)),
        "the firm's page shows the internal note"
    );
    fill(&client, t.t(msg!("incident_thread.body")), reply(&j)).await?;
    press(&client, t.t(msg!("incident_thread.send")), "#thread").await?;
    says(&client, "#thread", reply(&j)).await?;
    if client.source().await?.contains(note(&j)) {
        return Err("the internal note shows after the firm's answer".into());
    }
    j.look(&client, "the incident with the firm's answer")
        .await?;
    j.keep_at(&client, "#thread", "incident-thread").await
}

/// The campaign the analyst links the incident to.
pub(super) fn campaign(j: &Journey) -> &'static str {
    words(
        j,
        "Broker phishing kit, May 2026",
        "証券会社を装うフィッシングキット（2026年5月）",
    )
}

/// The analyst reads the answer, accepts the incident and, as the note
/// said, links it to a campaign by a new name; the campaign's page lists
/// it with its firm.
pub(super) async fn analyst_accepts(client: Client, j: Journey, id: i64) -> Result<(), BoxError> {
    let t = j.t;
    open_in_register(&client, &j, id).await?;
    says(&client, "#thread", reply(&j)).await?;
    says(&client, "#thread", note(&j)).await?;
    let accepted = t.t(msg!("incident.triage.accepted"));
    triage(&client, &j, accepted, None).await?;

    let name = campaign(&j);
    fill(&client, t.t(msg!("incident_review.campaign_new")), name).await?;
    press(
        &client,
        t.t(msg!("incident_review.campaign_link")),
        ".campaign-linked",
    )
    .await?;
    says(&client, "main", t.t(msg!("incident_review.done.campaign"))).await?;
    says(&client, ".campaign-linked", name).await?;
    j.look(&client, "the incident linked to its campaign")
        .await?;
    follow(&client, name, ".campaign-count").await?;
    let title = t.tf(msg!("incident_review.campaign_title"), &[("name", name)]);
    assert_eq!(text(&client, "main h1").await?, title);
    let count = words(&j, "1 incident from 1 firm", "1社のインシデント1件");
    assert_eq!(text(&client, ".campaign-count").await?, count);
    says(&client, ".campaign-firms", FIRM).await?;
    let listed = text(&client, "#campaign-incidents tbody th a").await?;
    assert_eq!(listed, format!("#{id}"), "the incident in its campaign");
    j.look(&client, "the campaign's page").await?;
    j.keep(&client, "campaign").await
}

/// The month the incident began, whose return it reconciles with.
pub(super) const APRIL: &str = "2026-04";

/// The reporter opens April's return from the navigation: its task list
/// lists the incident with its latest figures; the figures typed below
/// them are met, beside each field, by the warning that asks for an
/// explanation, and the explanation given lets the reporter go on.
pub(super) async fn return_lists_incident(
    client: Client,
    j: Journey,
    id: i64,
) -> Result<(), BoxError> {
    let t = j.t;
    follow(&client, t.t(msg!("nav.returns")), "main table").await?;
    j.look(&client, "the returns list").await?;
    follow(&client, APRIL, "#month-incidents").await?;
    let listed = client
        .find(Locator::Css("#month-incidents-table tbody th a"))
        .await?
        .text()
        .await?;
    assert_eq!(listed.trim(), format!("#{id}"), "the incident listed");
    // The final report's figures.
    assert_eq!(text(&client, "#month-incidents-accounts").await?, "152");
    assert_eq!(text(&client, "#month-incidents-trades").await?, "44");
    j.look(&client, "April's return").await?;
    j.keep_at(&client, "#month-incidents", "return-incidents")
        .await?;

    follow(&client, t.t(msg!("task.figures")), "form").await?;
    j.look(&client, "April's figures").await?;
    for (key, value) in [
        (msg!("field.unauthorized_accesses"), "100"),
        (msg!("field.affected_accounts"), "100"),
        (msg!("field.fraudulent_trades"), "30"),
        (msg!("field.sale_amount"), "40,000,000"),
        (msg!("field.purchase_amount"), "35,000,000"),
    ] {
        fill(&client, t.t(key), value).await?;
    }
    let save = t.t(msg!("task.save_continue"));
    press(&client, save, "#warnings").await?;
    for (field, key, rule) in [
        (
            "unauthorized_accesses",
            msg!("warn.incident_accounts"),
            "RET-W004",
        ),
        (
            "fraudulent_trades",
            msg!("warn.incident_trades"),
            "RET-W005",
        ),
    ] {
        let beside = text(&client, &format!("#{field}-error")).await?;
        assert_eq!(beside, format!("{} ({rule})", t.t(key)), "beside {field}");
    }
    j.look(&client, "April's figures with the incidents' warnings")
        .await?;
    j.keep_at(&client, "#warnings", "return-warning").await?;

    let explanation = words(
        &j,
        "The incident's accounts include 52 reached in May, before it was contained.",
        "インシデントの影響口座のうち52口座は、封じ込め前の5月に不正アクセスを受けたものです。",
    );
    fill(
        &client,
        t.t(msg!("field.warnings_explanation")),
        explanation,
    )
    .await?;
    press(&client, save, "main").await?;
    let next = client.current_url().await?;
    if next.path().ends_with("/sections/figures") {
        let said = text(&client, "main").await?;
        return Err(format!("the explanation did not let the reporter go on: {said}").into());
    }
    j.look(&client, "the return's next section").await
}
