"""Outbound gateways: the SMS backends (console, memory for tests, Africa's Talking).

`feedback.sms` is the one door callers use (`send_sms`, `outbox`, `SMSDeliveryError`); the
backend is the class settings.SMS_BACKEND names.
"""
