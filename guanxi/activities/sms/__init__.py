"""The SMS channel: provider backends, delivery reports, inbound replies and opt-out.

`SMS_URL` chooses the backend (`console://`, `file:///dir`, `aliyun://KEY:SECRET@host`);
`sender` registers it with the channel layer, `webhooks` receives the provider's delivery
reports and replies, `segments` counts the parts a text takes.
"""
