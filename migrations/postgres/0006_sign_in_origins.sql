-- Where each account last signed in successfully, by network (an IPv4
-- address or an IPv6 /64). Failed sign-ins from anywhere slow an account
-- down a little (the account-wide backstop in src/domain/throttle.rs); a
-- network its owner signed in from recently is spared that, so guessing
-- from elsewhere cannot keep the owner out.
CREATE TABLE sign_in_origins (
    username        TEXT NOT NULL,
    network         TEXT NOT NULL,
    last_success_at BIGINT NOT NULL,
    PRIMARY KEY (username, network)
);
CREATE INDEX sign_in_origins_last ON sign_in_origins (last_success_at);
