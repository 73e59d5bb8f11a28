"""Django admin for sales: activity."""
