"""The service desk: tickets (requests, complaints, questions, suggestions), routing, SLAs, automation,
satisfaction and the knowledge base."""
