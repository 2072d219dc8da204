-- Sign-in domains of an upstream provider: when /login is reached with a
-- login_hint whose e-mail domain is in this space-separated list, the
-- browser goes straight to the provider instead of the sign-in form.
ALTER TABLE upstream_providers ADD COLUMN hint_domains TEXT NOT NULL DEFAULT '';
