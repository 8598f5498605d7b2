"""Certificates: issued at course completion, rendered as PDF, verifiable by anyone and signed as Open Badges."""
