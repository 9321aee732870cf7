"""Publishing what can be stood behind: every output's figures checked by its own GX suite
(``checks``), and approved by the association's contact person before anything goes out
(``approval``)."""
