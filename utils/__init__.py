"""Utilidades compartidas del curso «NLP de 0 a 100».

Los cuadernos enseñan las ideas a la vista; este paquete guarda la fontanería que de otro
modo se copiaría de un cuaderno a otro: configuración, semillas, dispositivo, texto,
datos, bucle de entrenamiento, métricas, gráficos y decodificación.
"""

__version__ = "0.1.0"
