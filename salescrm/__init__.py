"""salescrm: the command-line CRM for the SP-009-001 sales procedure."""

__version__ = "0.1.0"
