"""Prometheus metrics of every service, served at GET /metrics (decision 0040).

`definitions` names every metric once; `http` counts requests by route template; `relay_backlog`
and the consumer's lag (chassis.consumer_lag) are sampled when /metrics is scraped (`scrape`).
"""
