"""The pure migration engine: plan, apply and validate a campaign over a repository tree."""
