//! What each person does on the filing day, in order, each in a browser of
//! their own: the first admin; the firm's approver, second approver and
//! reporter; the regulator's analyst; the admin again, publishing; and an
//! anonymous visitor downloading the statistics. Before the first
//! submission the approver tries to file the month nil over the prepared
//! draft: they are asked to confirm, and marking it makes them a preparer,
//! so they cannot file it alone.

use fantoccini::Locator;
use incident_portal::domain::details::{CHECKLIST, DETECTION, VECTORS};
use incident_portal::i18n::Lang;
use incident_portal::msg;
use sha2::{Digest, Sha256};

use crate::journey::{DESKTOP, Journey};
use crate::support::{BoxError, click, press, submit, text, type_into, wait_for};

const ADMIN: &str = "admin@fsa.example";
const APPROVER: &str = "approver@hokkaido.example";
const APPROVER2: &str = "approver2@hokkaido.example";
const REPORTER: &str = "reporter@hokkaido.example";
const ANALYST: &str = "analyst@fsa.example";
const PERIOD: &str = "2025-04";

/// What the people type, in the journey's language.
struct Words {
    firm: &'static str,
    registration_no: &'static str,
    csv_name: &'static str,
    trades_csv: &'static str,
    remediation: &'static str,
    explanation: &'static str,
    reason: &'static str,
    publication: &'static str,
    /// The publication's title in the other language.
    publication_translation: &'static str,
    /// The first column of the statistics CSV's header row.
    csv_header: &'static str,
    csv_path: &'static str,
}

const JA: Words = Words {
    firm: "北海道証券株式会社",
    registration_no: "北海道財務局長（金商）第12号",
    csv_name: "約定明細_2025-04.csv",
    trades_csv: "\u{feff}約定日,売買区分,銘柄コード,市場,数量,金額,口座参照\r\n\
                 2025/4/3,売,7203,国内,100,100000,ACC-0001\r\n\
                 2025/4/3,売却,6758,国内,1000,200000,ACC-0002\r\n\
                 2025/4/4,買付,9984,国内,500,250000,ACC-0001\r\n",
    remediation: "不正ログインのあった全口座のパスワードを初期化し、FIDO2 認証を必須化しました。",
    explanation: "同一顧客の複数口座が一度の不正アクセスで操作されたため、被害口座数がアクセス件数を上回っています。",
    reason: "不正アクセス件数が社内報告と一致しません。確認のうえ再提出してください。",
    publication: "不正取引の状況（2025年4月）",
    publication_translation: "Fraudulent trading, April 2025",
    csv_header: "期間,",
    csv_path: "/csv/ja",
};

const EN: Words = Words {
    firm: "Hokkaido Securities",
    registration_no: "北海道財務局長（金商）第12号",
    csv_name: "trades_2025-04.csv",
    trades_csv: "trade_date,side,security_code,market,quantity,amount_jpy,account_ref\n\
                 2025-04-03,sell,7203,domestic,100,100000,ACC-0001\n\
                 2025-04-03,sell,6758,domestic,\"1,000\",\"200,000\",ACC-0002\n\
                 2025-04-04,buy,9984,domestic,500,250000,ACC-0001\n",
    remediation: "Passwords reset on every affected account; FIDO2 sign-in made mandatory.",
    explanation: "Several accounts of the same customers were reached in one unauthorized access.",
    reason: "The unauthorized-access count does not match your incident log; please check and resubmit.",
    publication: "Fraudulent trading, April 2025",
    publication_translation: "不正取引の状況（2025年4月）",
    csv_header: "period,",
    csv_path: "/csv",
};

impl Journey {
    fn words(&self) -> &'static Words {
        if self.ja() { &JA } else { &EN }
    }

    /// The journey, start to finish; on failure, what the acting person's
    /// browser showed is kept as `failure`.
    pub async fn walk(mut self, token: &str, failure: &str) -> Result<(), BoxError> {
        let outcome = self.day(token).await;
        if outcome.is_err() {
            self.failure_shot(failure).await;
        }
        outcome?;
        self.assert_accessible();
        Ok(())
    }

    async fn day(&mut self, token: &str) -> Result<(), BoxError> {
        self.add_authenticator().await?;
        self.viewport(DESKTOP).await?;
        self.set_up_admin(token).await?;
        self.onboard_firm().await?;
        self.reporter_prepares(true).await?;
        self.approver_tries_nil().await?;
        self.reporter_restores().await?;
        self.second_approver_submits().await?;
        self.analyst_returns().await?;
        self.firm_amends().await?;
        self.analyst_accepts().await?;
        self.admin_publishes().await?;
        self.close_all().await?;
        self.visitor_downloads().await?;
        self.close_all().await
    }

    /// The setup link; the first admin enrols a passkey, adds the firm and
    /// invites its approver and the analyst.
    async fn set_up_admin(&mut self, token: &str) -> Result<(), BoxError> {
        self.goto(&format!("/setup/{token}")).await?;
        wait_for(&self.client, "#password_confirm").await?;
        self.step("setup", Some("setup.title")).await?;
        for (id, value) in [
            ("email", ADMIN),
            ("display_name", "First Admin"),
            ("password", crate::helpers::PASSWORD),
            ("password_confirm", crate::helpers::PASSWORD),
        ] {
            type_into(&self.client, id, value).await?;
        }
        click(&self.client, "form.narrow button[type=submit]").await?;
        self.enrol_passkey("admin", true).await?;

        let w = self.words();
        self.goto("/admin/firms").await?;
        wait_for(&self.client, "#registration_no").await?;
        type_into(&self.client, "name", w.firm).await?;
        type_into(&self.client, "registration_no", w.registration_no).await?;
        submit(
            &self.client,
            "form.narrow button[type=submit]",
            "#registration_no",
        )
        .await?;
        let firms = text(&self.client, "main table tbody").await?;
        assert!(firms.contains(w.firm), "the firm is listed: {firms}");
        self.step("firms", Some("firms.title")).await?;

        self.goto("/admin/users").await?;
        wait_for(&self.client, "#role").await?;
        self.invite(APPROVER, "approver", Some(w.firm)).await?;
        self.invite(APPROVER2, "approver", Some(w.firm)).await?;
        self.invite(ANALYST, "analyst", None).await?;
        self.step("users", Some("users.title")).await
    }

    /// Fills and sends the invitation form of the users page shown.
    async fn invite(&self, email: &str, role: &str, firm: Option<&str>) -> Result<(), BoxError> {
        type_into(&self.client, "email", email).await?;
        let name = email.split('@').next().unwrap_or(email);
        type_into(&self.client, "display_name", name).await?;
        self.client
            .find(Locator::Id("role"))
            .await?
            .select_by_value(role)
            .await?;
        if let Some(firm) = firm {
            self.client
                .find(Locator::Id("firm_id"))
                .await?
                .select_by_label(firm)
                .await?;
        }
        submit(
            &self.client,
            "main form.narrow button[type=submit]",
            "#role",
        )
        .await?;
        let users = text(&self.client, "main table tbody").await?;
        assert!(users.contains(email), "{email} is listed: {users}");
        Ok(())
    }

    /// The approver accepts the emailed invitation, tries the language
    /// switch (the other language stays after signing in again, then they
    /// switch back) and invites a reporter.
    async fn onboard_firm(&mut self) -> Result<(), BoxError> {
        self.as_person("approver").await?;
        self.accept_invitation(APPROVER, true).await?;
        self.goto("/firm/users").await?;
        wait_for(&self.client, "#role").await?;

        let own = self.t.lang;
        let other = if own == Lang::Ja { Lang::En } else { Lang::Ja };
        self.switch_language(other).await?;
        wait_for(&self.client, "#role").await?;
        self.step("language-switched", Some("users.title")).await?;
        self.sign_out().await?;
        self.assert_lang(other, "sign-in page after the switch")
            .await?;
        self.sign_in(APPROVER, false).await?;
        self.assert_lang(other, "first page after signing in again")
            .await?;
        self.goto("/firm/users").await?;
        wait_for(&self.client, "#role").await?;
        self.step("language-kept", Some("users.title")).await?;
        self.switch_language(own).await?;
        wait_for(&self.client, "#role").await?;
        self.assert_lang(own, "switched back").await?;

        self.invite(REPORTER, "reporter", None).await?;
        self.step("firm-users", Some("users.title")).await?;
        self.as_person("approver2").await?;
        self.accept_invitation(APPROVER2, false).await?;
        self.as_person("reporter").await?;
        self.accept_invitation(REPORTER, false).await
    }

    /// In the reporter's browser: the reporter uploads the trade detail and
    /// takes its figures into the return, then fills each section of the
    /// task list by its visible labels: meets a hard error and an unusual
    /// figure on the figures page and explains it there, checks the
    /// answers and marks the return ready for approval. With `shoot`, the
    /// first time (pages checked and photographed); without, when the
    /// figures are put back after the nil marking.
    async fn reporter_prepares(&mut self, shoot: bool) -> Result<(), BoxError> {
        self.as_person("reporter").await?;
        self.goto("/returns").await?;
        wait_for(&self.client, "main table").await?;
        if shoot {
            self.step("returns", Some("returns.title")).await?;
        }
        submit(
            &self.client,
            &format!(r#"a[href="/returns/{PERIOD}"]"#),
            "#tasks",
        )
        .await?;
        if shoot {
            let status = text(&self.client, "#status-figures").await?;
            assert_eq!(status, self.t.t(msg!("task.status.not_started")));
            self.step("task-list", Some("return.title")).await?;
        }

        let w = self.words();
        submit(
            &self.client,
            &format!(r#"#tasks a[href="/returns/{PERIOD}/trades"]"#),
            "input#file",
        )
        .await?;
        if shoot {
            self.step("trades", Some("trades.title")).await?;
        }
        let csv = self.files.join(w.csv_name);
        std::fs::write(&csv, w.trades_csv)?;
        self.client
            .find(Locator::Id("file"))
            .await?
            .send_keys(&csv.display().to_string())
            .await?;
        submit(
            &self.client,
            r#"form[enctype="multipart/form-data"] button"#,
            "#comparison",
        )
        .await?;
        let rows = text(&self.client, "#upload-rows").await?;
        assert!(rows.contains('3'), "three trades read: {rows}");
        if shoot {
            self.step("trades-uploaded", Some("trades.title")).await?;
        }
        submit(
            &self.client,
            r#"form[action$="/use-figures"] button"#,
            "p.notice[role=status]",
        )
        .await?;

        self.goto(&format!("/returns/{PERIOD}")).await?;
        submit(
            &self.client,
            &format!(r#"#tasks a[href="/returns/{PERIOD}/sections/figures"]"#),
            "#trades-link",
        )
        .await?;
        for (field, expected) in [
            ("fraudulent_trades", "3"),
            ("sale_amount", "300000"),
            ("purchase_amount", "250000"),
        ] {
            let value = self.value_of(field).await?;
            assert_eq!(
                value.replace(',', ""),
                expected,
                "{field} taken from the trade detail"
            );
        }
        // Fewer accesses than trades: a hard error beside the field.
        self.fill("unauthorized_accesses", "2").await?;
        self.fill("affected_accounts", "14").await?;
        self.save_and_continue("#error-summary").await?;
        let error = text(&self.client, "#fraudulent_trades-error").await?;
        // The message, and the ID of its rule in the published catalogue.
        assert_eq!(
            error,
            format!(
                "{} (RET-E014)",
                self.t.t(msg!("err.rule.trades_exceed_accesses"))
            )
        );
        if shoot {
            self.step("section-error", Some("task.figures")).await?;
        }
        // Corrected; more affected accounts than accesses is unusual: the
        // page asks for the explanation, given there.
        self.fill("unauthorized_accesses", "12").await?;
        self.save_and_continue("#warnings").await?;
        let warning = text(&self.client, "#affected_accounts-error").await?;
        assert_eq!(
            warning,
            format!(
                "{} (RET-W001)",
                self.t.t(msg!("warn.accounts_exceed_accesses"))
            )
        );
        if shoot {
            self.step("section-warning", Some("task.figures")).await?;
        }
        self.fill("warnings_explanation", w.explanation).await?;
        self.save_and_continue("input#purchase_domestic").await?;

        if shoot {
            self.step("section-markets", Some("task.markets")).await?;
        }
        for (field, value) in [
            ("purchase_domestic", "250000"),
            ("purchase_china_hk", "0"),
            ("purchase_us", "0"),
            ("purchase_other", "0"),
        ] {
            self.fill(field, value).await?;
        }
        self.save_and_continue("input#vector_phishing").await?;
        for field in VECTORS.iter().chain(DETECTION.iter()) {
            self.fill(field, "0").await?;
        }
        self.save_and_continue("input#customer_losses").await?;
        for field in [
            "customer_losses",
            "compensation_paid",
            "accounts_compensated",
        ] {
            self.fill(field, "0").await?;
        }
        self.choose_label(self.t.t(msg!("policy.considering")))
            .await?;
        self.save_and_continue("select#check_mfa_mandatory").await?;
        if shoot {
            self.step("section-remediation", Some("task.remediation"))
                .await?;
        }
        for item in CHECKLIST {
            let key = format!("check.{item}");
            self.labelled(self.t.named(&key))
                .await?
                .select_by_label(self.t.t(msg!("check.done")))
                .await?;
        }
        self.fill("remediation", w.remediation).await?;
        self.save_and_continue("input#contact_name").await?;
        for (field, value) in [
            ("contact_name", "Hanako Sato"),
            ("contact_phone", "+81 3-1234-5678"),
            ("contact_email", "compliance@hokkaido.example"),
        ] {
            self.fill(field, value).await?;
        }
        self.save_and_continue("#mark-ready").await?;
        if shoot {
            self.step("check-answers", Some("cya.title")).await?;
        }
        let summary = text(&self.client, "#summary-narrative").await?;
        assert!(summary.contains(w.explanation), "{summary}");
        let marked = submit(&self.client, "#mark-ready button", "#ready-mark").await?;
        assert!(
            marked.text().await?.contains("reporter"),
            "who marked it ready"
        );
        for section in [
            "figures",
            "markets",
            "vectors",
            "losses",
            "remediation",
            "narrative",
            "trades",
        ] {
            let status = text(&self.client, &format!("#status-{section}")).await?;
            assert_eq!(status, self.t.t(msg!("task.status.completed")), "{section}");
        }
        if shoot {
            self.step("marked-ready", Some("return.title")).await?;
        }
        Ok(())
    }

    /// In the approver's browser, the return marked ready on the list. The
    /// approver presses "Mark this month nil" over the prepared draft: a
    /// confirmation lists what would be discarded; confirmed, the month is
    /// nil, and the approver, who made that change, is now a preparer: the
    /// approval page refuses them and offers no submission.
    async fn approver_tries_nil(&mut self) -> Result<(), BoxError> {
        self.as_person("approver").await?;
        self.goto("/returns").await?;
        wait_for(&self.client, "main table").await?;
        let line = text(&self.client, &format!(r#"tr[data-period="{PERIOD}"]"#)).await?;
        assert!(
            line.contains(self.t.t(msg!("state.ready"))),
            "the approver's list shows the ready mark: {line}"
        );
        self.step("returns-ready", Some("returns.title")).await?;
        submit(
            &self.client,
            &format!(r#"a[href="/returns/{PERIOD}"]"#),
            "#ready-mark",
        )
        .await?;
        self.step("task-list-ready", Some("return.title")).await?;
        press(&self.client, self.t.t(msg!("return.nil")), "#nil-warning").await?;
        let discarded = text(&self.client, "#nil-discarded").await?;
        assert!(
            discarded.contains(self.words().remediation),
            "the prepared draft is listed as discarded: {discarded}"
        );
        let trades = text(&self.client, "#nil-trades").await?;
        assert!(
            trades.contains(self.words().csv_name),
            "the trade file too: {trades}"
        );
        let second = text(&self.client, "main p.hint").await?;
        assert_eq!(second, self.t.t(msg!("nil.second_person")));
        self.step("nil-confirm", Some("nil.title")).await?;
        press(&self.client, self.t.t(msg!("nil.confirm")), "#nil-draft").await?;
        let preparers = text(&self.client, "#preparers").await?;
        assert!(
            preparers.contains("approver"),
            "the approver is now one of the preparers: {preparers}"
        );
        self.step("marked-nil", Some("return.title")).await?;
        self.goto(&format!("/returns/{PERIOD}/approve")).await?;
        let nil = wait_for(&self.client, "#approve-nil").await?.text().await?;
        assert_eq!(nil.trim(), self.t.t(msg!("approve.nil")));
        self.refused_as_preparer("nil-refused").await
    }

    /// On the approval page: the approver is one of the preparers, so no
    /// submission is offered.
    async fn refused_as_preparer(&mut self, shot: &str) -> Result<(), BoxError> {
        self.goto(&format!("/returns/{PERIOD}/approve")).await?;
        let standing = wait_for(&self.client, "#standing").await?.text().await?;
        assert_eq!(standing.trim(), self.t.t(msg!("approve.preparer")));
        let preparers = text(&self.client, "#approve-preparers").await?;
        assert!(
            preparers.contains("approver") && preparers.contains("reporter"),
            "both who changed the draft are its preparers: {preparers}"
        );
        let forms = self.client.find_all(Locator::Css("#approval")).await?;
        assert!(forms.is_empty(), "no submission offered to a preparer");
        let buttons = self
            .client
            .find_all(Locator::XPath(&format!(
                "//button[normalize-space()=\"{}\"]",
                self.t.t(msg!("return.submit"))
            )))
            .await?;
        assert!(buttons.is_empty(), "no submit button for a preparer");
        self.step(shot, Some("approve.title")).await
    }

    /// The reporter's browser, reloaded, shows the month marked nil; the
    /// reporter puts the figures back (the trade detail again, each
    /// section, the check, the ready mark). The approver, who changed this
    /// draft, still may not submit it.
    async fn reporter_restores(&mut self) -> Result<(), BoxError> {
        self.as_person("reporter").await?;
        self.goto(&format!("/returns/{PERIOD}")).await?;
        let nil = wait_for(&self.client, "#nil-draft").await?.text().await?;
        assert_eq!(nil.trim(), self.t.t(msg!("return.nil_draft")));
        self.step("sees-nil", Some("return.title")).await?;
        self.reporter_prepares(false).await?;
        self.as_person("approver").await?;
        self.refused_as_preparer("still-refused").await
    }

    /// The second approver, who changed nothing, sees the ready mark and
    /// submits the draft with the attestation.
    async fn second_approver_submits(&mut self) -> Result<(), BoxError> {
        self.as_person("approver2").await?;
        self.goto("/returns").await?;
        wait_for(&self.client, "main table").await?;
        let line = text(&self.client, &format!(r#"tr[data-period="{PERIOD}"]"#)).await?;
        assert!(
            line.contains(self.t.t(msg!("state.ready"))),
            "the second approver's list shows the ready mark: {line}"
        );
        self.approver_submits("receipt", "V01").await?;
        self.close_person("approver2").await
    }

    /// The form control whose visible label reads `label`.
    async fn labelled(&self, label: &str) -> Result<fantoccini::elements::Element, BoxError> {
        let found = self
            .client
            .find(Locator::XPath(&format!(
                "//label[normalize-space()=\"{label}\"]"
            )))
            .await?;
        let id = found.attr("for").await?.ok_or("label without for")?;
        Ok(self.client.find(Locator::Id(&id)).await?)
    }

    /// Types `value` into the field labelled as `field` is in the
    /// journey's language.
    async fn fill(&self, field: &str, value: &str) -> Result<(), BoxError> {
        let input = self
            .labelled(self.t.named(&format!("field.{field}")))
            .await?;
        input.clear().await?;
        input.send_keys(value).await?;
        Ok(())
    }

    /// Ticks the radio button labelled `label`.
    async fn choose_label(&self, label: &str) -> Result<(), BoxError> {
        let radio = self.labelled(label).await?;
        if !radio.is_selected().await? {
            radio.click().await?;
        }
        Ok(())
    }

    /// What the field labelled as `field` holds.
    async fn value_of(&self, field: &str) -> Result<String, BoxError> {
        let input = self
            .labelled(self.t.named(&format!("field.{field}")))
            .await?;
        Ok(input.prop("value").await?.unwrap_or_default())
    }

    /// Presses "Save and continue" and waits for `next` on the page after.
    async fn save_and_continue(&self, next: &str) -> Result<(), BoxError> {
        submit(&self.client, "button[name=then][value=continue]", next).await?;
        Ok(())
    }

    /// The acting approver opens the approval page from the task list and
    /// submits the prepared draft unchanged.
    async fn approver_submits(&mut self, shot: &str, version: &str) -> Result<(), BoxError> {
        self.goto(&format!("/returns/{PERIOD}")).await?;
        submit(&self.client, "#approve-link", "#standing").await?;
        let review = if version == "V01" {
            "review-and-submit"
        } else {
            "amendment-review"
        };
        self.step(review, Some("approve.title")).await?;
        let attestation = wait_for(&self.client, "#attestation").await?;
        if !attestation.is_selected().await? {
            attestation.click().await?;
        }
        if version != "V01" {
            // An amendment says why: the returned figures were corrected.
            self.client
                .find(Locator::Id("amendment_reason"))
                .await?
                .select_by_value("correction")
                .await?;
            self.fill(
                "amendment_reason_text",
                "Two accounts were counted twice; corrected as the regulator asked.",
            )
            .await?;
        }
        let receipt = submit(&self.client, "#approval button[type=submit]", ".receipt-no")
            .await?
            .text()
            .await?;
        assert!(
            receipt.trim().starts_with("R-202504-") && receipt.trim().contains(version),
            "receipt number {receipt:?} for {version}"
        );
        self.step(shot, Some("version.title")).await
    }

    /// In the analyst's browser (opened and the invitation accepted the
    /// first time), the firm's latest April version from the review list.
    async fn analyst_opens_version(&mut self, first: bool) -> Result<(), BoxError> {
        self.as_person("analyst").await?;
        if first {
            self.accept_invitation(ANALYST, false).await?;
        }
        self.goto(&format!("/review?period={PERIOD}")).await?;
        wait_for(&self.client, "main table").await?;
        if first {
            self.step("review-list", Some("review.title")).await?;
        }
        self.client
            .find(Locator::LinkText(self.words().firm))
            .await?
            .click()
            .await?;
        wait_for(&self.client, "section.decision").await?;
        Ok(())
    }

    /// The analyst returns the version with a reason.
    async fn analyst_returns(&mut self) -> Result<(), BoxError> {
        self.analyst_opens_version(true).await?;
        self.step("review-version", None).await?;
        type_into(&self.client, "reason", self.words().reason).await?;
        let done = submit(
            &self.client,
            r#"form[action$="/return"] button"#,
            ".notice[role=status]",
        )
        .await?;
        assert_eq!(
            done.text().await?.trim(),
            self.t.t(msg!("review.returned_notice"))
        );
        self.step("returned-with-reason", None).await
    }

    /// The reporter's browser, still open, shows the reason; the reporter
    /// corrects the count on the figures page and saves it for later; the
    /// approver (a new draft, which they have not changed) submits the
    /// amendment.
    async fn firm_amends(&mut self) -> Result<(), BoxError> {
        self.as_person("reporter").await?;
        self.goto(&format!("/returns/{PERIOD}")).await?;
        let returned = wait_for(&self.client, "#returned").await?.text().await?;
        assert!(
            returned.contains(self.words().reason),
            "the reason is shown to the firm: {returned}"
        );
        self.step("returned-to-firm", Some("return.title")).await?;
        submit(
            &self.client,
            &format!(r#"#tasks a[href="/returns/{PERIOD}/sections/figures"]"#),
            "#trades-link",
        )
        .await?;
        self.fill("unauthorized_accesses", "14").await?;
        self.fill("affected_accounts", "10").await?;
        let saved = submit(
            &self.client,
            "button[name=then][value=later]",
            "p.notice[role=status]",
        )
        .await?;
        assert_eq!(saved.text().await?.trim(), self.t.t(msg!("return.saved")));
        self.as_person("approver").await?;
        self.approver_submits("amendment-receipt", "V02").await
    }

    /// The analyst accepts the amendment and looks at the dashboard.
    async fn analyst_accepts(&mut self) -> Result<(), BoxError> {
        self.analyst_opens_version(false).await?;
        let heading = text(&self.client, "main h1").await?;
        assert!(
            heading.ends_with("v2"),
            "the amendment is reviewed: {heading}"
        );
        let done = submit(
            &self.client,
            r#"form[action$="/accept"] button"#,
            ".notice[role=status]",
        )
        .await?;
        assert_eq!(
            done.text().await?.trim(),
            self.t.t(msg!("review.accepted_notice"))
        );
        self.step("accepted", None).await?;
        self.goto("/dashboard").await?;
        wait_for(&self.client, "main table").await?;
        self.step("dashboard", Some("dashboard.title")).await
    }

    /// The admin drafts the April publication (titled in both languages),
    /// checks the preview, then the check-your-answers page, and releases
    /// it.
    async fn admin_publishes(&mut self) -> Result<(), BoxError> {
        self.as_person(crate::journey::ADMIN_SESSION).await?;
        self.goto("/admin/publications").await?;
        wait_for(&self.client, "#cutoff").await?;
        self.step("publications", Some("publication.title")).await?;
        let w = self.words();
        let (title_en, title_ja) = if self.ja() {
            (w.publication_translation, w.publication)
        } else {
            (w.publication, w.publication_translation)
        };
        type_into(&self.client, "title", title_en).await?;
        type_into(&self.client, "title_ja", title_ja).await?;
        // The clock stands at 19:00 in Tokyo: a cut-off cannot be later.
        type_into(&self.client, "cutoff", "2025-05-20 19:00").await?;
        type_into(&self.client, "from", PERIOD).await?;
        type_into(&self.client, "to", PERIOD).await?;
        submit(
            &self.client,
            r#"form[action="/admin/publications"] button"#,
            "#preview-table",
        )
        .await?;
        let preview = text(&self.client, "#preview-table tbody").await?;
        // 10 + 11 + 13 from the other firms, 14 from the amended return.
        assert!(preview.contains("48"), "April's accesses shown: {preview}");
        self.step("publication-draft", None).await?;
        submit(
            &self.client,
            r#"form[action$="/release"] button"#,
            "#confirm-table",
        )
        .await?;
        let both = (
            text(&self.client, "#confirm-title-en").await?,
            text(&self.client, "#confirm-title-ja").await?,
        );
        assert_eq!(both, (title_en.to_owned(), title_ja.to_owned()));
        self.step("publication-check", Some("publication.confirm_title"))
            .await?;
        submit(
            &self.client,
            "#confirm-release button",
            r#"main a[href^="/statistics/"]"#,
        )
        .await?;
        self.step("publication-released", None).await?;
        self.sign_out().await
    }

    /// Anyone, signed out, finds the release and downloads its CSV in the
    /// page's language: UTF-8 with a BOM, the checksum shown on the page.
    async fn visitor_downloads(&mut self) -> Result<(), BoxError> {
        self.as_person("visitor").await?;
        self.goto("/statistics").await?;
        wait_for(&self.client, "#releases").await?;
        self.step("statistics", Some("statistics.title")).await?;
        let w = self.words();
        self.client
            .find(Locator::LinkText(w.publication))
            .await?
            .click()
            .await?;
        wait_for(&self.client, "#statistics-table").await?;
        let table = text(&self.client, "#statistics-table tbody").await?;
        assert!(table.contains("48"), "April's accesses published: {table}");
        self.step("statistics-release", None).await?;

        let link = self
            .client
            .find(Locator::Css(&format!(
                r#"#downloads a[href$="{}"]"#,
                w.csv_path
            )))
            .await?;
        let href = link.attr("href").await?.ok_or("download link")?;
        let bytes = self.fetch_bytes(&href).await?;
        assert!(
            bytes.starts_with(&[0xEF, 0xBB, 0xBF]),
            "the CSV begins with the UTF-8 BOM: {:?}",
            &bytes[..bytes.len().min(8)]
        );
        let csv = String::from_utf8(bytes[3..].to_vec())?;
        assert!(
            csv.starts_with(w.csv_header),
            "the header row is in the page's language: {csv}"
        );
        assert!(csv.contains(",48,"), "April's accesses in the CSV: {csv}");
        let shown = link
            .find(Locator::XPath("following-sibling::code"))
            .await?
            .text()
            .await?;
        let digest: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(shown.trim(), digest, "the checksum on the page");
        Ok(())
    }
}
