"""Sales (SAL-1 … SAL-7): leads, opportunities, pipelines, funnel, forecast, targets."""
