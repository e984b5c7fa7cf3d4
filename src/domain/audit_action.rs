//! Every action the audit trail records, named once with its stable
//! string (old rows keep reading); the admin view's filter offers `ALL`.

use super::text_enum::text_enum;

text_enum! {
    /// An action recorded in the audit trail (`audit_events.action`).
    pub enum Action {
        UserInvited = "user.invited",
        InvitationAccepted = "user.invitation_accepted",
        UserDisabled = "user.disabled",
        UserEnabled = "user.enabled",
        ResetRequested = "auth.reset_requested",
        PasswordReset = "user.password_reset",
        PolicyChanged = "policy.changed",
        SignInThrottled = "auth.sign_in_throttled",
        AccountLocked = "auth.account_locked",
        PasswordAccepted = "auth.password_accepted",
        FactorAdded = "user.factor_added",
        FactorRemoved = "user.factor_removed",
        SecondFactorFailed = "auth.second_factor_failed",
        SessionsEnded = "auth.sessions_ended",
        LanguageChanged = "user.language_changed",
        Reauthenticated = "auth.reauthenticated",
        DemoSeeded = "demo.seeded",
        DraftSaved = "return.draft_saved",
        FirmCreated = "firm.created",
        PasswordChanged = "user.password_changed",
        ReturnsImported = "returns.imported",
        ReturnViewed = "return.viewed",
        SetupLinkIssued = "setup.link_issued",
        SignIn = "auth.sign_in",
        SignInFailed = "auth.sign_in_failed",
        SignOut = "auth.sign_out",
        Submitted = "return.submitted",
        SubmittedNil = "return.submitted_nil",
        UserCreated = "user.created",
        TradesUploaded = "trades.uploaded",
        TradesRemoved = "trades.removed",
        TradesFiguresTaken = "trades.figures_taken",
        VersionAccepted = "return.accepted",
        VersionReturned = "return.returned",
        CalendarChanged = "calendar.changed",
        PublicationDrafted = "publication.drafted",
        PublicationCellReleased = "publication.cell_released",
        PublicationReleased = "publication.released",
        PublicationScheduled = "publication.scheduled",
        PublicationUnscheduled = "publication.unscheduled",
        Exported = "export.downloaded",
        FirmFirstPeriodChanged = "firm.first_period_changed",
        MarkedNil = "return.marked_nil",
        MarkedReady = "return.marked_ready",
        FirmExempted = "firm.single_user_exempted",
        FirmExemptionWithdrawn = "firm.single_user_exemption_withdrawn",
        ApiClientRegistered = "api_client.registered",
        ApiClientConfirmed = "api_client.confirmed",
        ApiClientSuspended = "api_client.suspended",
        ApiClientKeyAdded = "api_client.key_added",
        ApiClientKeyRetired = "api_client.key_retired",
        ApiTokenIssued = "api.token_issued",
        ApiTokenRefused = "api.token_refused",
        ApiTokenThrottled = "api.token_throttled",
        ApiRead = "api.read",
        IncidentDrafted = "incident.drafted",
        IncidentSent = "incident.sent",
        IncidentReclassified = "incident.reclassified",
        IncidentTriaged = "incident.triaged",
        IncidentMessageSent = "incident.message_sent",
        IncidentCampaignLinked = "incident.campaign_linked",
        IncidentDeadlinesChanged = "incident.deadlines_changed",
        ReviewCommentDrafted = "review.comment_drafted",
        ReviewSent = "review.sent",
        ReviewCommentResolved = "review.comment_resolved",
        ReviewCommentAnswered = "review.comment_answered",
        RetentionChanged = "retention.changed",
        RetentionPurged = "retention.purged",
        LegalHoldPlaced = "firm.legal_hold_placed",
        LegalHoldLifted = "firm.legal_hold_lifted",
        ObserverScopeSet = "observer.scope_set",
        ObserverViewed = "observer.viewed",
        ExportRightChanged = "user.export_right_changed",
        ExtensionRequested = "extension.requested",
        ExtensionGranted = "extension.granted",
        ExtensionRefused = "extension.refused",
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for &a in Action::ALL {
            assert!(seen.insert(a.as_str()), "{a} twice");
            assert_eq!(Action::parse(a.as_str()), Ok(a));
        }
        assert_eq!(Action::parse("auth.sign_in"), Ok(Action::SignIn));
        assert!(Action::parse("auth.sign_in ").is_err());
    }
}
