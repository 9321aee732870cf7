"""The campaign's other reports and what people get from them: white paper data,
satisfaction survey, outreach events, short videos, poverty-relief projects and the
campaign summaries. Plain domain code (no Prefect); heavy imports inside functions."""
