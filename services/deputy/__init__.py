"""Deputy service (人大代表): deputies, their record of duty (履职档案), and their inbox of cases."""
