"""Schemathesis hooks for `.ci/fuzz.sh`.

Random client ids stop almost every request at client authentication. So
a third of the generated form bodies carry the seeded public client's id
(AUTHGATE_FUZZ_CLIENT_ID), which lets the fuzzer reach scope parsing,
device code issuance, token and refresh-token lookups and revocation; and
a third carry that id with a troublesome character appended (NUL, quotes,
a backslash, percent signs, right-to-left override, a lone surrogate's
replacement), the near-valid input that reaches the database.
"""

import os

import schemathesis
from hypothesis import strategies as st

CLIENT_ID = os.environ.get("AUTHGATE_FUZZ_CLIENT_ID", "")
NASTY = ["\x00", "'", '"', "\\", "%", "%00", "\u202e", "\ufffd", " ", "\n", "\x7f"]


@schemathesis.hook
def flatmap_body(context, body):
    if not CLIENT_ID or not isinstance(body, dict):
        return st.just(body)
    return st.one_of(
        st.just(body),
        st.just({**body, "client_id": CLIENT_ID}),
        st.sampled_from(NASTY).map(lambda c: {**body, "client_id": CLIENT_ID + c}),
    )
