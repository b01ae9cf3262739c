"""The public-form kit: what a form open to anyone on the internet needs, for every app that
has one (the intake channel, the evaluation's rating page, the pledge rating).

- `captcha.HumanCheck` — the arithmetic human check, with its own namespace and on/off setting;
- `throttle.Limit` — a rate limit counted under a salted hash of the address (none is kept);
- `qr` — the public address a code opens, and the code as PNG or SVG;
- `poster` — printable A4 posters of codes, in the form's own words;
- `views.HumanCheckViews` — the check's pages, `require` (refuse what did not pass) and
  `add_errors` (an action's refusal under the form's fields);
- `device.DeviceMemory` — what a phone already sent, in its own signed cookie.

The kit knows no app: each form makes its own check and limits, and passes its own words.
"""
