"""Numbers managers answer for: dashboards, reports and quality alerts, counted in the database."""
