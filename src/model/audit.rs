//! What the audit log records: one [`AuditAction`] per kind of event.
//!
//! The table stores an action as the text of [`AuditAction::as_str`], the
//! one place each is spelled. Rows already written hold these strings, so
//! a variant's text never changes: a new meaning is a new variant. Reading
//! back, [`AuditAction::parse`] answers `None` for a string no variant has
//! (the admin pages then show the raw text).

use std::fmt;

/// One kind of audited event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    /// A person signed in.
    SignedIn,
    /// A sign-in with a wrong username or password.
    SignInFailed,
    /// A person signed out at an application's request (OpenID Connect
    /// RP-Initiated Logout).
    SignedOutByApp,
    /// A person turned on two-step sign-in (a TOTP code confirmed it).
    TotpEnabled,
    /// A person turned off two-step sign-in.
    TotpRemoved,
    /// A wrong TOTP code (at sign-in, enrolment or removal).
    TotpCodeFailed,
    /// A TOTP code whose time step was already used (RFC 6238 §5.2).
    TotpStepReplayed,
    /// A signed-in person proved a second factor again before an
    /// approval a policy guards.
    StepUp,
    /// A person added a passkey on /account.
    PasskeyAdded,
    /// A person renamed one of their passkeys.
    PasskeyRenamed,
    /// A person removed one of their passkeys.
    PasskeyRemoved,
    /// A passkey signed a person in (alone, or as the second step).
    PasskeyUsed,
    /// A passkey was refused: unknown, another person's, a disabled
    /// account, a replayed or invalid answer, a counter going backwards.
    PasskeyFailed,
    /// A new set of recovery codes was made (the old one, if any, ends).
    RecoveryCodesGenerated,
    /// A recovery code stood in for a TOTP code at sign-in.
    RecoveryCodeUsed,
    /// A wrong (or already used) recovery code at sign-in.
    RecoveryCodeFailed,
    /// The last recovery code of a set was used.
    RecoveryCodesExhausted,
    /// A typed user code matched no code (RFC 8628 §5.1: what the global
    /// guess cap counts).
    CodeEntryFailed,
    DeviceApproved,
    DeviceDenied,
    /// A client reached MAX_PENDING_CODES_PER_CLIENT and its device
    /// requests are refused (recorded at most once a minute per client).
    DeviceClientCapReached,
    /// A person let an application sign them in (authorization code grant).
    AppApproved,
    /// A person refused an application's sign-in request.
    AppDenied,
    /// A person's remembered consent for an application was stored or
    /// widened (later requests within it skip the consent page).
    ConsentGiven,
    /// A person ended an application's remembered consent on /account.
    ConsentRevoked,
    /// A device redeemed its approval for tokens.
    TokenIssued,
    TokenRefreshed,
    /// Revoked by its client (RFC 7009).
    TokenRevoked,
    /// A consumed refresh token came back: its grant is revoked.
    RefreshTokenReused,
    /// A redeemed authorization code came back: its grant is revoked.
    AuthorizationCodeReused,
    /// A person revoked an application's access from their account page.
    GrantRevoked,
    AdminDeviceCodeCancelled,
    AdminTokenRevoked,
    AdminUserTokensRevoked,
    AdminClientTokensRevoked,
    AdminClientCreated,
    AdminClientUpdated,
    AdminClientDisabled,
    AdminClientEnabled,
    AdminClientSecretRotated,
    AdminUserCreated,
    AdminUserDisabled,
    AdminUserEnabled,
    AdminUserPasswordReset,
    AdminUserRoleChanged,
    /// An administrator cleared an account's sign-in lock-outs.
    AdminUserUnlocked,
    /// An administrator changed a user's e-mail, its verification or name.
    AdminUserProfileChanged,
    /// Who must use a second factor changed: a person, a client, or
    /// everyone (the target says which).
    AdminSecondFactorPolicyChanged,
    /// An administrator removed a person's second factors (TOTP, recovery
    /// codes) and ended their sessions.
    AdminUserFactorsReset,
    /// A person signed in through an upstream OpenID provider.
    UpstreamSignedIn,
    /// An upstream sign-in refused (bad state, declined, unverified token,
    /// no account allowed, an account to sign in to first).
    UpstreamRefused,
    /// An upstream account was linked to a local one.
    UpstreamLinked,
    /// A person unlinked an upstream account on /account.
    UpstreamUnlinked,
    /// An account was created at a first upstream sign-in.
    UpstreamAccountCreated,
    AdminProviderCreated,
    AdminProviderDisabled,
    AdminProviderEnabled,
    AdminProviderRemoved,
    /// A provider's settings were edited (the detail names the fields).
    AdminProviderUpdated,
    /// An administrator unlinked someone's upstream account.
    AdminUserUpstreamUnlinked,
    /// A client registered itself (RFC 7591); it waits for approval.
    ClientRegistered,
    /// A client replaced its registered metadata (RFC 7592).
    ClientRegistrationUpdated,
    /// A client deleted its registration (RFC 7592); its tokens were revoked.
    ClientRegistrationDeleted,
    /// An administrator approved a client that registered itself.
    AdminClientApproved,
    /// An administrator rejected a client that registered itself.
    AdminClientRejected,
}

/// The groups the audit log filters by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditCategory {
    SignIn,
    /// Device and app decisions, and wrong codes typed getting there.
    Device,
    /// Tokens issued, refreshed, reused and revoked, by clients or people.
    Tokens,
    /// Changes by administrators (and the `authgate` commands), and
    /// clients' own registrations, which only administrators act on.
    Admin,
}

impl AuditAction {
    /// Every action, in the order the audit filter lists them.
    pub const ALL: [AuditAction; 65] = [
        Self::SignedIn,
        Self::SignInFailed,
        Self::SignedOutByApp,
        Self::TotpEnabled,
        Self::TotpRemoved,
        Self::TotpCodeFailed,
        Self::TotpStepReplayed,
        Self::StepUp,
        Self::PasskeyAdded,
        Self::PasskeyRenamed,
        Self::PasskeyRemoved,
        Self::PasskeyUsed,
        Self::PasskeyFailed,
        Self::RecoveryCodesGenerated,
        Self::RecoveryCodeUsed,
        Self::RecoveryCodeFailed,
        Self::RecoveryCodesExhausted,
        Self::CodeEntryFailed,
        Self::DeviceApproved,
        Self::DeviceDenied,
        Self::DeviceClientCapReached,
        Self::AppApproved,
        Self::AppDenied,
        Self::ConsentGiven,
        Self::ConsentRevoked,
        Self::TokenIssued,
        Self::TokenRefreshed,
        Self::TokenRevoked,
        Self::RefreshTokenReused,
        Self::AuthorizationCodeReused,
        Self::GrantRevoked,
        Self::AdminDeviceCodeCancelled,
        Self::AdminTokenRevoked,
        Self::AdminUserTokensRevoked,
        Self::AdminClientTokensRevoked,
        Self::AdminClientCreated,
        Self::AdminClientUpdated,
        Self::AdminClientDisabled,
        Self::AdminClientEnabled,
        Self::AdminClientSecretRotated,
        Self::AdminUserCreated,
        Self::AdminUserDisabled,
        Self::AdminUserEnabled,
        Self::AdminUserPasswordReset,
        Self::AdminUserRoleChanged,
        Self::AdminUserUnlocked,
        Self::AdminUserProfileChanged,
        Self::AdminSecondFactorPolicyChanged,
        Self::AdminUserFactorsReset,
        Self::UpstreamSignedIn,
        Self::UpstreamRefused,
        Self::UpstreamLinked,
        Self::UpstreamUnlinked,
        Self::UpstreamAccountCreated,
        Self::AdminProviderCreated,
        Self::AdminProviderDisabled,
        Self::AdminProviderEnabled,
        Self::AdminProviderRemoved,
        Self::AdminProviderUpdated,
        Self::AdminUserUpstreamUnlinked,
        Self::ClientRegistered,
        Self::ClientRegistrationUpdated,
        Self::ClientRegistrationDeleted,
        Self::AdminClientApproved,
        Self::AdminClientRejected,
    ];

    /// The stored form. Rows already hold these strings: never change one.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignedIn => "auth.sign_in",
            Self::SignInFailed => "auth.sign_in_failed",
            Self::SignedOutByApp => "auth.signed_out_by_app",
            Self::TotpEnabled => "auth.totp_enabled",
            Self::TotpRemoved => "auth.totp_removed",
            Self::TotpCodeFailed => "auth.totp_failed",
            Self::TotpStepReplayed => "auth.totp_replayed",
            Self::StepUp => "auth.step_up",
            Self::PasskeyAdded => "auth.passkey_added",
            Self::PasskeyRenamed => "auth.passkey_renamed",
            Self::PasskeyRemoved => "auth.passkey_removed",
            Self::PasskeyUsed => "auth.passkey_used",
            Self::PasskeyFailed => "auth.passkey_failed",
            Self::RecoveryCodesGenerated => "auth.recovery_codes_generated",
            Self::RecoveryCodeUsed => "auth.recovery_code_used",
            Self::RecoveryCodeFailed => "auth.recovery_code_failed",
            Self::RecoveryCodesExhausted => "auth.recovery_codes_exhausted",
            Self::CodeEntryFailed => "user_code.failed",
            Self::DeviceApproved => "device.approved",
            Self::DeviceDenied => "device.denied",
            Self::DeviceClientCapReached => "device.client_cap_reached",
            Self::AppApproved => "app.approved",
            Self::AppDenied => "app.denied",
            Self::ConsentGiven => "app.consent_given",
            Self::ConsentRevoked => "app.consent_revoked",
            Self::TokenIssued => "token.issued",
            Self::TokenRefreshed => "token.refreshed",
            Self::TokenRevoked => "token.revoked",
            Self::RefreshTokenReused => "refresh_token.reused",
            Self::AuthorizationCodeReused => "authorization_code.reused",
            Self::GrantRevoked => "grant.revoked",
            Self::AdminDeviceCodeCancelled => "admin.device_code.cancelled",
            Self::AdminTokenRevoked => "admin.token.revoked",
            Self::AdminUserTokensRevoked => "admin.user_tokens.revoked",
            Self::AdminClientTokensRevoked => "admin.client_tokens.revoked",
            Self::AdminClientCreated => "admin.client.created",
            Self::AdminClientUpdated => "admin.client.updated",
            Self::AdminClientDisabled => "admin.client.disabled",
            Self::AdminClientEnabled => "admin.client.enabled",
            Self::AdminClientSecretRotated => "admin.client.secret_rotated",
            Self::AdminUserCreated => "admin.user.created",
            Self::AdminUserDisabled => "admin.user.disabled",
            Self::AdminUserEnabled => "admin.user.enabled",
            Self::AdminUserPasswordReset => "admin.user.password_reset",
            Self::AdminUserRoleChanged => "admin.user.role_changed",
            Self::AdminUserUnlocked => "admin.user.unlocked",
            Self::AdminUserProfileChanged => "admin.user.profile_changed",
            Self::AdminSecondFactorPolicyChanged => "admin.second_factor_policy_changed",
            Self::AdminUserFactorsReset => "admin.user.factors_reset",
            Self::UpstreamSignedIn => "auth.upstream_sign_in",
            Self::UpstreamRefused => "auth.upstream_refused",
            Self::UpstreamLinked => "auth.upstream_linked",
            Self::UpstreamUnlinked => "auth.upstream_unlinked",
            Self::UpstreamAccountCreated => "auth.upstream_account_created",
            Self::AdminProviderCreated => "admin.provider.created",
            Self::AdminProviderDisabled => "admin.provider.disabled",
            Self::AdminProviderEnabled => "admin.provider.enabled",
            Self::AdminProviderRemoved => "admin.provider.removed",
            Self::AdminProviderUpdated => "admin.provider.updated",
            Self::AdminUserUpstreamUnlinked => "admin.user.upstream_unlinked",
            Self::ClientRegistered => "admin.client.registered",
            Self::ClientRegistrationUpdated => "admin.client.registration_updated",
            Self::ClientRegistrationDeleted => "admin.client.registration_deleted",
            Self::AdminClientApproved => "admin.client.approved",
            Self::AdminClientRejected => "admin.client.rejected",
        }
    }

    /// The action stored as `s`, if AuthGate knows it.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub const fn category(self) -> AuditCategory {
        match self {
            Self::SignedIn
            | Self::SignInFailed
            | Self::SignedOutByApp
            | Self::TotpEnabled
            | Self::TotpRemoved
            | Self::TotpCodeFailed
            | Self::TotpStepReplayed
            | Self::StepUp
            | Self::PasskeyAdded
            | Self::PasskeyRenamed
            | Self::PasskeyRemoved
            | Self::PasskeyUsed
            | Self::PasskeyFailed
            | Self::RecoveryCodesGenerated
            | Self::RecoveryCodeUsed
            | Self::RecoveryCodeFailed
            | Self::RecoveryCodesExhausted
            | Self::UpstreamSignedIn
            | Self::UpstreamRefused
            | Self::UpstreamLinked
            | Self::UpstreamUnlinked
            | Self::UpstreamAccountCreated => AuditCategory::SignIn,
            Self::CodeEntryFailed
            | Self::DeviceApproved
            | Self::DeviceDenied
            | Self::DeviceClientCapReached
            | Self::AppApproved
            | Self::AppDenied
            | Self::ConsentGiven
            | Self::ConsentRevoked => AuditCategory::Device,
            Self::TokenIssued
            | Self::TokenRefreshed
            | Self::TokenRevoked
            | Self::RefreshTokenReused
            | Self::AuthorizationCodeReused
            | Self::GrantRevoked => AuditCategory::Tokens,
            Self::AdminDeviceCodeCancelled
            | Self::AdminTokenRevoked
            | Self::AdminUserTokensRevoked
            | Self::AdminClientTokensRevoked
            | Self::AdminClientCreated
            | Self::AdminClientUpdated
            | Self::AdminClientDisabled
            | Self::AdminClientEnabled
            | Self::AdminClientSecretRotated
            | Self::AdminUserCreated
            | Self::AdminUserDisabled
            | Self::AdminUserEnabled
            | Self::AdminUserPasswordReset
            | Self::AdminUserRoleChanged
            | Self::AdminUserUnlocked
            | Self::AdminUserProfileChanged
            | Self::AdminSecondFactorPolicyChanged
            | Self::AdminUserFactorsReset
            | Self::AdminProviderCreated
            | Self::AdminProviderDisabled
            | Self::AdminProviderEnabled
            | Self::AdminProviderRemoved
            | Self::AdminProviderUpdated
            | Self::AdminUserUpstreamUnlinked
            | Self::ClientRegistered
            | Self::ClientRegistrationUpdated
            | Self::ClientRegistrationDeleted
            | Self::AdminClientApproved
            | Self::AdminClientRejected => AuditCategory::Admin,
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl AuditCategory {
    pub const ALL: [AuditCategory; 4] = [Self::SignIn, Self::Device, Self::Tokens, Self::Admin];

    /// The value of the audit filter's `action` parameter that selects
    /// this group (bookmarked URLs carry it: keep it stable).
    pub const fn key(self) -> &'static str {
        match self {
            Self::SignIn => "sign-in",
            Self::Device => "device",
            Self::Tokens => "tokens",
            Self::Admin => "admin",
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.key() == key)
    }

    /// The actions of this group, in [`AuditAction::ALL`]'s order.
    pub fn actions(self) -> impl Iterator<Item = AuditAction> {
        AuditAction::ALL
            .into_iter()
            .filter(move |a| a.category() == self)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_action_parses_back_from_its_string() {
        for action in AuditAction::ALL {
            assert_eq!(AuditAction::parse(action.as_str()), Some(action));
            assert_eq!(action.to_string(), action.as_str());
        }
        assert_eq!(AuditAction::parse("token.issued "), None);
        assert_eq!(AuditAction::parse("admin."), None);
    }

    #[test]
    fn strings_and_variants_are_unique() {
        let strings: HashSet<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(strings.len(), AuditAction::ALL.len());
        let variants: HashSet<_> = AuditAction::ALL.iter().collect();
        assert_eq!(variants.len(), AuditAction::ALL.len());
    }

    /// The one deliberate second spelling: rows already hold these strings,
    /// so a renamed variant must not change what it stores.
    #[test]
    fn stored_strings_stay_what_rows_hold() {
        let stored: Vec<_> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        assert_eq!(
            stored,
            [
                "auth.sign_in",
                "auth.sign_in_failed",
                "auth.signed_out_by_app",
                "auth.totp_enabled",
                "auth.totp_removed",
                "auth.totp_failed",
                "auth.totp_replayed",
                "auth.step_up",
                "auth.passkey_added",
                "auth.passkey_renamed",
                "auth.passkey_removed",
                "auth.passkey_used",
                "auth.passkey_failed",
                "auth.recovery_codes_generated",
                "auth.recovery_code_used",
                "auth.recovery_code_failed",
                "auth.recovery_codes_exhausted",
                "user_code.failed",
                "device.approved",
                "device.denied",
                "device.client_cap_reached",
                "app.approved",
                "app.denied",
                "app.consent_given",
                "app.consent_revoked",
                "token.issued",
                "token.refreshed",
                "token.revoked",
                "refresh_token.reused",
                "authorization_code.reused",
                "grant.revoked",
                "admin.device_code.cancelled",
                "admin.token.revoked",
                "admin.user_tokens.revoked",
                "admin.client_tokens.revoked",
                "admin.client.created",
                "admin.client.updated",
                "admin.client.disabled",
                "admin.client.enabled",
                "admin.client.secret_rotated",
                "admin.user.created",
                "admin.user.disabled",
                "admin.user.enabled",
                "admin.user.password_reset",
                "admin.user.role_changed",
                "admin.user.unlocked",
                "admin.user.profile_changed",
                "admin.second_factor_policy_changed",
                "admin.user.factors_reset",
                "auth.upstream_sign_in",
                "auth.upstream_refused",
                "auth.upstream_linked",
                "auth.upstream_unlinked",
                "auth.upstream_account_created",
                "admin.provider.created",
                "admin.provider.disabled",
                "admin.provider.enabled",
                "admin.provider.removed",
                "admin.provider.updated",
                "admin.user.upstream_unlinked",
                "admin.client.registered",
                "admin.client.registration_updated",
                "admin.client.registration_deleted",
                "admin.client.approved",
                "admin.client.rejected",
            ]
        );
    }

    /// The audit filter grouped actions by prefix before it had this enum;
    /// a category holds exactly the actions that prefix matching gave.
    #[test]
    fn categories_follow_the_stored_prefixes() {
        for action in AuditAction::ALL {
            let prefixes: &[&str] = match action.category() {
                AuditCategory::SignIn => &["auth."],
                AuditCategory::Device => &["device.", "user_code.", "app."],
                AuditCategory::Tokens => {
                    &["token.", "refresh_token.", "authorization_code.", "grant."]
                }
                AuditCategory::Admin => &["admin."],
            };
            assert!(
                prefixes.iter().any(|p| action.as_str().starts_with(p)),
                "{action} is not in {:?}",
                action.category()
            );
        }
        for category in AuditCategory::ALL {
            assert_eq!(AuditCategory::parse(category.key()), Some(category));
            assert!(category.actions().next().is_some(), "{category:?}");
        }
    }
}
