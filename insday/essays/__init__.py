"""The essay contest (征文): scoring sheets and votes are checked at intake
(:mod:`insday.essays.checks`); panel scores, shortlist, final ranking, prizes and ties
(:mod:`insday.essays.service`, arithmetic in :mod:`insday.essays.scoring`); results pages,
ranking workbooks and certificates (:mod:`insday.essays.publish`). No Prefect here.
"""
