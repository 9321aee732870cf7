"""Bulletins (通报): the daily ones during the run and the final one, as HTML, xlsx, PNG
charts and Markdown, published under INSDAY_HOME/public/ and sent by email.

- :func:`publish_bulletin` - build, write, list and (optionally) queue the email
- :func:`build_bulletin` - the bulletin's figures as one JSON-able document
- :func:`edition` / :func:`latest_day` - which bulletin, and its cut-off (knowledge time)
"""

from insday.bulletin.data import build_bulletin
from insday.bulletin.editions import BulletinError, Edition, edition, latest_day, run_days
from insday.bulletin.publish import publish_bulletin

__all__ = ["BulletinError", "Edition", "build_bulletin", "edition", "latest_day", "publish_bulletin", "run_days"]
