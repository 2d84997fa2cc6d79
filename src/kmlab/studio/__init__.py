"""kmlab Studio: the local web app (server, API, pages, code runner).

``kmlab studio`` serves one page from this machine: watch K-Means form its
clusters step by step (assignment and update as half-steps), choose K with the
elbow and silhouette charts of :func:`kmlab.select_k`, read the silhouette
knife plot, click to predict, and run Python in a code panel.  Everything is
computed by kmlab's Python API; the page's JavaScript only draws and asks.

Modules:

- :mod:`kmlab.studio.server`: :func:`~kmlab.studio.server.create_app`, the
  FastAPI application, and the guard in front of it (launch token, Host and
  Origin checks, body size limit, security headers);
- :mod:`kmlab.studio.api`: the JSON API and the bounded stores of data sets and
  fitted models;
- :mod:`kmlab.studio.compute`: fits with their history, K selection,
  silhouettes and predictions, in the page's coordinates;
- :mod:`kmlab.studio.data`: the presets, uploaded tables, drawn points, and the
  2-D view (PCA beyond two columns);
- :mod:`kmlab.studio.codegen`: the tutorial program and "copy code";
- :mod:`kmlab.studio.runner`: runs the code panel's programs in limited,
  isolated processes;
- ``static/``: the page (plain HTML, CSS and JavaScript; plotly.js comes from
  the installed plotly package).

``import kmlab.studio`` loads nothing heavy; the server needs FastAPI, uvicorn
and plotly (``pip install "kmlab[studio]"``), imported when a Studio is created.
"""
